"""Admin changelists of big tables without a COUNT(*) of the whole table.

A changelist counts its rows twice: the paginator's count, and the "N total" beside the
search box. At province scale (10,000 communities: 120,000 returns, 530,000 service records
and as many time-bank entries) each is a scan of the whole table, 10 to 60 ms, on every page
of the list. The big changelists set `show_full_result_count = False` (no second count) and
use `EstimatedCountPaginator`: on PostgreSQL, an unfiltered list of a table that PostgreSQL
estimates above ESTIMATE_ABOVE rows is counted from `pg_class.reltuples`, the row estimate
that autovacuum and ANALYZE keep. Anything filtered or smaller, a table never analysed, and
every other database are counted exactly, so a filtered list's count is always right.

An estimate is close, not exact: the list says about how many rows there are, and the last
page may hold fewer rows than the count promises, or be empty. Django's paginator serves
such a page without an error.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

ESTIMATE_ABOVE = 100_000  # rows; an exact count of a smaller table costs little


def estimated_rows(queryset) -> int | None:
    """PostgreSQL's estimate of the rows of an unfiltered queryset's table, or None: not
    PostgreSQL, not a plain queryset over the whole table, or a table never analysed."""
    query = getattr(queryset, "query", None)
    if query is None or query.where or query.distinct or query.combinator or query.is_sliced:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    # -1: never analysed (PostgreSQL 14 and later).
    return row[0] if row and row[0] >= 0 else None


class EstimatedCountPaginator(Paginator):
    """A paginator that takes PostgreSQL's row estimate for a big unfiltered table."""

    @cached_property
    def count(self):
        estimate = estimated_rows(self.object_list)
        if estimate is not None and estimate > ESTIMATE_ABOVE:
            return estimate
        return super().count
