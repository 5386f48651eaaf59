"""Figures of a monthly return that other records already give ("no typing twice").

An app that keeps records the returns count (services: visits, volunteers, training ...)
registers a provider from its AppConfig.ready(), so that imports flow one way: from that app
to this one. A provider is a callable `(community, period) -> {indicator code: Decimal}`
that runs a fixed number of queries whatever the number of records, and leaves out a figure
its records cannot speak for (a community that keeps no such records gets no misleading 0).

The return page offers these figures as the starting values of the blank fields; nothing is
stored until the clerk saves, which is the confirmation.
"""

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal

from communities.models import Community, Indicator

Provider = Callable[[Community, datetime.date], dict[str, Decimal]]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a provider; registering the same one twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def prefill_for(
    community, period: datetime.date, *, codes: Iterable[str] | None = None
) -> dict[str, Decimal]:
    """Indicator code → the figure the records give for the community's month.

    Only indicators in force that month: pass their `codes` when the caller has them
    already (the return page does), else they are read in one query. A later provider's
    figure wins over an earlier one's for the same indicator.
    """
    if not _providers:
        return {}
    if codes is None:
        codes = Indicator.objects.active_in(period).values_list("code", flat=True)
    wanted = set(codes)
    figures = {}
    for provider in _providers:
        figures.update(provider(community, period))
    return {code: Decimal(value) for code, value in figures.items() if code in wanted}
