"""`{% error_summary_of form as error_summary %}`: the error summary of a form
(chunan_community.errors.error_summary) for a page whose view passes only the form, shown with
_error_summary.html like every other."""

from django import template

from chunan_community.errors import error_summary

register = template.Library()


@register.simple_tag
def error_summary_of(form) -> list[dict]:
    if not form or not form.is_bound:
        return []
    return error_summary(form)
