"""Filters for a report written on a page (templates/_document.html)."""

from django import template

register = template.Library()


@register.filter
def document_rows(table):
    """Each row's cells as the page shows them, and whether it is a total."""
    strong = set(table.strong)
    return [
        {"cells": cells, "strong": index in strong} for index, cells in enumerate(table.text_rows())
    ]
