"""The exports of all returns run in constant memory: ten times the returns, not ten times
the memory.

The returns are read with a cursor (`iterator`) and their values one chunk at a time; the
CSV streams its lines as they are made and the .xlsx is written row by row by openpyxl's
write-only mode into a temporary file. The peak of Python's allocations (tracemalloc) while
a whole export is made and read is measured for 10 and for 100 communities (six months of
returns each, with their values), after a garbage collection so that the peak does not
depend on when the collector last ran. It grows by about a fifth; an export that held its
rows, or its lines, would grow several times.
"""

import gc
import math
import tracemalloc

import pytest

from communities.models import MonthlyReturn, Role
from communities.returns import excel as returns_excel
from operations.scale_data import Options, generate
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CHUNK = 20  # returns per query for their values: small, so that both sizes take several
SMALL, BIG = 10, 100
MONTHS = 6


def _export_peak(client, url) -> tuple[int, int]:
    """(peak bytes allocated while the export is made and read, its size in bytes)."""
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get(url)
        size = sum(len(piece) for piece in response.streaming_content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    return peak, size


def _world(size, *, replace=False):
    generate(Options(communities=size, months=MONTHS), replace=replace)
    return MonthlyReturn.objects.count()


@pytest.fixture
def county_client(client, db, monkeypatch):
    monkeypatch.setattr(returns_excel, "EXPORT_CHUNK", CHUNK)
    client.force_login(make_user(Role.COUNTY))
    return client


@pytest.mark.parametrize("url", ["/returns/export.csv", "/returns/export.xlsx"])
def test_export_memory_does_not_grow_with_the_returns(county_client, url):
    peaks = {}
    for size in (SMALL, BIG):
        returns = _world(size, replace=size == BIG)
        _export_peak(county_client, url)  # the first export loads what every export uses

        peaks[size], length = _export_peak(county_client, url)

        assert length > returns * 20  # every return is in it
    assert peaks[BIG] < 1.5 * peaks[SMALL], peaks


def test_csv_export_streams_one_chunk_of_values_at_a_time(county_client, django_assert_num_queries):
    returns = _world(SMALL)
    response = county_client.get("/returns/export.csv")
    lines = iter(response.streaming_content)

    # The header and the first line: the returns' cursor and the first chunk's values only.
    with django_assert_num_queries(2):
        next(lines)
        next(lines)
    with django_assert_num_queries(math.ceil(returns / CHUNK) - 1):
        rest = list(lines)

    assert len(rest) == returns - 1
