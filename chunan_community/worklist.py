"""The day's work of one person (待办), gathered from every app through a registry.

The to-do page and the navigation's count belong to the portal, above the apps, but the rules
of what is due live in each app: which returns a clerk still owes, which declarations are
open, which score sheets a judge has to fill. So each app registers a provider from its
AppConfig.ready(), as it does for the profile's sections and the returns' prefill. A
provider is a callable `(user, access, today) -> list[Work]`; it runs a fixed number of
queries however much work there is (one per kind: `work_from` reads the first SHOWN tasks
with the count of them all). A task gives its due date; whether it is overdue, and in how
many days it is due, is worked out here, once, from that date and the day.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.db.models import Count, Window

# The tasks of one kind listed on the to-do page; the rest are behind the kind's `all_url`.
SHOWN = 10


@dataclass(frozen=True)
class Task:
    """One thing to do: what, for which community, by when, and the page where it is done.
    `overdue` and `days_left` are set by work_for from `due` and the day."""

    what: str
    url: str
    community: str = ""
    due: datetime.date | None = None
    note: str = ""
    overdue: bool = False
    days_left: int | None = None

    def on(self, today: datetime.date) -> "Task":
        if self.due is None:
            return self
        return replace(self, overdue=today > self.due, days_left=(self.due - today).days)


@dataclass(frozen=True)
class Work:
    """One kind of work: its first SHOWN tasks and how many there are in all."""

    kind: str
    heading: str
    total: int
    tasks: tuple[Task, ...] = field(default=())
    all_url: str = ""

    @property
    def overdue(self) -> bool:
        return any(task.overdue for task in self.tasks)

    @property
    def hidden(self) -> int:
        """The tasks not listed (see `all_url`)."""
        return self.total - len(self.tasks)

    @property
    def first_due(self) -> datetime.date | None:
        return min((task.due for task in self.tasks if task.due), default=None)


Provider = Callable[[object, object, datetime.date], list[Work]]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Add an app's provider; registering the same one twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def work_for(user, access, today: datetime.date) -> list[Work]:
    """Everything `user` has to do today, overdue kinds first, then by the nearest date."""
    works = [
        replace(work, tasks=tuple(task.on(today) for task in work.tasks))
        for provider in _providers
        for work in provider(user, access, today)
        if work.total
    ]
    return sorted(works, key=lambda work: (not work.overdue, work.first_due or datetime.date.max))


def total_of(works: list[Work]) -> int:
    """How many things there are to do in all (the navigation's count, the page's lead)."""
    return sum(work.total for work in works)


def work_from(queryset, task: Callable[[object], Task], *, kind, heading, all_url="") -> Work:
    """The work of one kind whose rows `queryset` gives, each made a Task by `task`: its
    first SHOWN rows and the count of them all, in one query (a window over the whole set,
    computed before the limit)."""
    rows = list(queryset.annotate(worklist_total=Window(Count("*")))[:SHOWN])
    return Work(
        kind=kind,
        heading=heading,
        total=rows[0].worklist_total if rows else 0,
        tasks=tuple(task(row) for row in rows),
        all_url=all_url,
    )
