"""Every list in the portal pages the same way: PAGE_SIZE rows, the page number in a GET
parameter (a bad or out-of-range number gives the nearest valid page, never an error)."""

from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, rows, param: str = "page"):
    return Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get(param))
