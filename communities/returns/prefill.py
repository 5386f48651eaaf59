"""Figures of a monthly return that other records already give ("no typing twice").

An app that keeps records the returns count (services: visits, volunteers, training ...)
registers a provider from its AppConfig.ready(), so that imports flow one way: from that app
to this one. A provider is a callable
`(community ids, period) -> {community id: {indicator code: Decimal}}` that runs a fixed
number of queries whatever the number of communities and records, and leaves out a figure
its records cannot speak for (a community that keeps no such records gets no misleading 0).

The return page offers these figures as the starting values of the blank fields, and the
Excel template fills its blank cells with them; nothing is stored until the clerk saves (or
confirms the import), which is the confirmation.
"""

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal

from communities.models import Indicator

Provider = Callable[[list[int], datetime.date], dict[int, dict[str, Decimal]]]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Add a provider; registering the same one twice keeps one."""
    if provider not in _providers:
        _providers.append(provider)


def prefill_many(
    community_ids: Iterable[int], period: datetime.date, *, codes: Iterable[str] | None = None
) -> dict[int, dict[str, Decimal]]:
    """Community id → {indicator code → the figure the records give for its month}.

    Only indicators in force that month: pass their `codes` when the caller has them
    already, else they are read in one query. A later provider's figure wins over an
    earlier one's for the same indicator. The queries do not grow with the communities.
    """
    community_ids = list(community_ids)
    if not _providers or not community_ids:
        return {}
    if codes is None:
        codes = Indicator.objects.active_in(period).values_list("code", flat=True)
    wanted = set(codes)
    found: dict[int, dict[str, Decimal]] = {}
    for provider in _providers:
        for community_id, figures in provider(community_ids, period).items():
            found.setdefault(community_id, {}).update(
                {code: Decimal(value) for code, value in figures.items() if code in wanted}
            )
    return {community_id: figures for community_id, figures in found.items() if figures}


def prefill_for(
    community, period: datetime.date, *, codes: Iterable[str] | None = None
) -> dict[str, Decimal]:
    """Indicator code → the figure the records give for the community's month."""
    return prefill_many([community.pk], period, codes=codes).get(community.pk, {})
