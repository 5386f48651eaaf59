"""Every list in the portal pages the same way: PAGE_SIZE rows (unless the page says
otherwise), the page number in a GET parameter (a bad or out-of-range number gives the nearest
valid page, never an error).

A page with one list shows its pager with _pagination.html. A page with several lists gives
each its own parameter and a `Pager` (shown with _pager.html), whose links keep the filter
and the other lists' pages and come back to the list at `anchor`.

The admin's changelists page with Django's own page parameter; only their count differs
(admin_paging.EstimatedCountPaginator).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator


def paginate(request, rows, param: str = "page", *, per_page: int | None = None) -> Page:
    paginator = Paginator(rows, per_page or settings.PAGE_SIZE)
    return paginator.get_page(request.GET.get(param))


@dataclass(frozen=True)
class Pager:
    """One list's page and the links to its other pages (None: no such link)."""

    page: Page
    links: list[dict]  # {"number", "url", "current"} or {"gap": True}
    first_url: str | None = None
    previous_url: str | None = None
    next_url: str | None = None
    last_url: str | None = None


def pager(request, page: Page, param: str, anchor: str) -> Pager:
    """The links of `page`, its number in `param`; each keeps the request's other parameters
    and comes back to the element with the id `anchor`."""
    query = request.GET.copy()

    def url(number):
        query[param] = number
        return f"?{query.urlencode()}#{anchor}"

    # The first and last pages and two either side of this one, as _pagination.html: a
    # fixed number of links however many pages there are.
    current, last = page.number, page.paginator.num_pages
    near = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    links, previous = [], 0
    for number in near:
        if number - previous > 1:
            links.append({"gap": True})
        links.append({"number": number, "url": url(number), "current": number == current})
        previous = number
    return Pager(
        page=page,
        links=links,
        first_url=url(1) if page.has_previous() else None,
        previous_url=url(page.previous_page_number()) if page.has_previous() else None,
        next_url=url(page.next_page_number()) if page.has_next() else None,
        last_url=url(last) if page.has_next() else None,
    )
