"""The main navigation: the public entries, and each role's own work.

Every journey a role has gets an entry here, so that it can be reached by clicking from any
page; `tests/test_navigation.py` crawls from each role's landing page to prove it. The
current entry is the one whose section (a URL prefix) is the longest that the path starts
with. The to-do entry carries the number of things to do (chunan_community.worklist).
"""

from dataclasses import dataclass, replace
from functools import cached_property

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chunan_community.worklist import total_of, work_for
from communities.access import CLERK, COUNTY, JUDGE, TOWNSHIP, access_for
from notifications.notify import unread_of


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    sections: tuple[str, ...]  # the URL prefixes this entry stands for
    count: int | None = None
    current: bool = False


def work_of(request):
    """The user's to-do list, read once per request (the navigation and the page share it)."""
    if not hasattr(request, "_chunan_work"):
        access = access_for(request.user)
        request._chunan_work = work_for(request.user, access, timezone.localdate())
    return request._chunan_work


def _public() -> list[Entry]:
    home = reverse("portal:home")
    return [
        Entry(_("Home"), home, (home,)),
        Entry(_("Communities"), reverse("communities:directory"), ("/communities/",)),
        Entry(_("Ratings"), reverse("ratings:round_list"), ("/ratings/",)),
        Entry(
            _("Commendations"),
            reverse("services:commendations"),
            ("/services/commendations/",),
        ),
        Entry(_("Announcements"), reverse("portal:announcements"), ("/announcements/",)),
        Entry(_("Statistics"), reverse("reports:publications"), ("/statistics/",)),
    ]


RATING_WORK = {
    CLERK: _("Our declaration"),
    JUDGE: _("Scoring"),
    COUNTY: _("Rating management"),
    TOWNSHIP: _("Ratings under way"),
}


def _work(request, role) -> list[Entry]:
    todo = reverse("portal:todo")
    inbox = reverse("notifications:inbox")
    entries = [
        Entry(_("To do"), todo, (todo,), count=total_of(work_of(request))),
        Entry(_("Inbox"), inbox, (inbox, "/account/"), count=unread_of(request)),
    ]
    if role in (CLERK, TOWNSHIP, COUNTY):
        entries.append(
            Entry(
                _("Our community") if role == CLERK else _("Community records"),
                reverse("communities:workspace"),
                ("/manage/",),
            )
        )
        entries.append(Entry(_("Monthly returns"), reverse("returns:list"), ("/returns/",)))
    rounds = reverse("ratings:staff_round_list")
    entries.append(
        Entry(RATING_WORK[role], rounds, (rounds, "/ratings/judging/", "/ratings/evidence/"))
    )
    if role in (CLERK, TOWNSHIP, COUNTY):
        entries.append(Entry(_("Services"), reverse("services:hub"), ("/services/",)))
        reports = reverse("portal:reports")
        entries.append(
            Entry(
                _("Reports"),
                reports,
                (
                    reports,
                    "/services/reports/",
                    "/returns/completeness/",
                    "/returns/aggregates/",
                    "/returns/pivot/",
                    "/manage/statistics/",
                ),
            )
        )
    if role in (TOWNSHIP, COUNTY):
        dashboard = reverse("portal:dashboard")
        entries.append(Entry(_("Dashboard"), dashboard, (dashboard,)))
    if role == COUNTY:
        announcements = reverse("portal:manage_announcements")
        entries.append(Entry(_("Announcement management"), announcements, (announcements,)))
        entries.append(Entry(_("Administration"), reverse("admin:index"), ("/admin/",)))
    return entries


def _marked(entries: list[Entry], path: str) -> list[Entry]:
    def match(entry):
        return max(
            (
                len(section)
                for section in entry.sections
                if path == section or (section != "/" and path.startswith(section))
            ),
            default=0,
        )

    best = max(entries, key=match, default=None)
    if best is None or not match(best):
        return entries
    return [replace(entry, current=True) if entry is best else entry for entry in entries]


class Navigation:
    """`public`: the entries for everyone; `work`: the user's own (none for the public).
    Built when a template first reads it: the admin's pages, which show neither, cost no
    query for it."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def _entries(self) -> tuple[list[Entry], list[Entry]]:
        role = access_for(getattr(self.request, "user", None)).role
        public = _public()
        work = _work(self.request, role) if role in RATING_WORK else []
        marked = _marked(public + work, self.request.path)
        return marked[: len(public)], marked[len(public) :]

    @property
    def public(self) -> list[Entry]:
        return self._entries[0]

    @property
    def work(self) -> list[Entry]:
        return self._entries[1]


def navigation(request) -> dict:
    """The context processor: `nav` (see Navigation)."""
    return {"nav": Navigation(request)}
