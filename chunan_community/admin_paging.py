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
    """The rows of an unfiltered queryset's table on PostgreSQL, in one query: PostgreSQL's
    estimate when it is above ESTIMATE_ABOVE, else an exact COUNT(*) (also for a table never
    analysed, whose estimate is -1). None: not PostgreSQL, or not a plain queryset over the
    whole table. One query either way, so a changelist costs the same at every size."""
    query = getattr(queryset, "query", None)
    if query is None or query.where or query.distinct or query.combinator or query.is_sliced:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN reltuples > %s THEN reltuples::bigint "  # noqa: S608 - quoted name
            f"ELSE (SELECT COUNT(*) FROM {table}) END "
            "FROM pg_class WHERE oid = %s::regclass",
            [ESTIMATE_ABOVE, table],
        )
        row = cursor.fetchone()
    return row[0] if row else None


class EstimatedCountPaginator(Paginator):
    """A paginator that takes PostgreSQL's row estimate for a big unfiltered table."""

    @cached_property
    def count(self):
        rows = estimated_rows(self.object_list)
        return rows if rows is not None else super().count
