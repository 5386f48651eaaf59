"""The same world at two sizes, for the tests that pin a page's number of SQL queries.

The world is the synthetic data set of `manage.py generate_scale_data` (townships of five
communities, three months of returns with their values, a confirmed rating round with its
ratings, service networks, outlets, volunteers, service records and time-bank deposits),
plus the staff who look at it. Community 00001 is the same at every size (the generator
seeds each community on its own), so a page about it differs only by what is around it.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Community, MonthlyReturn, Role, Township
from operations.scale_data import PREFIX, Options, generate
from ratings.models import Round
from tests.factories import make_user

SIZES = (3, 25)
MONTHS = 3
PER_TOWNSHIP = 5


@dataclass
class World:
    size: int
    community: Community  # community 00001: the clerk's
    township: Township  # its township
    round: Round  # the confirmed round
    county: object
    township_staff: object
    clerk: object
    last_month: datetime.date  # the latest month generated


@pytest.fixture(params=SIZES, ids=[f"{n}-communities" for n in SIZES])
def world(request, db) -> World:
    size = request.param
    generate(Options(communities=size, months=MONTHS, per_township=PER_TOWNSHIP))
    community = Community.objects.select_related("township").get(code=f"{PREFIX}00001")
    return World(
        size=size,
        community=community,
        township=community.township,
        round=Round.objects.get(code__startswith=PREFIX),
        county=make_user(Role.COUNTY, username="perf-county"),
        township_staff=make_user(
            Role.TOWNSHIP, township=community.township, username="perf-township"
        ),
        clerk=make_user(Role.CLERK, community=community, username="perf-clerk"),
        last_month=MonthlyReturn.objects.order_by("-period").values_list("period", flat=True)[0],
    )


def clear_caches():
    """Every cache emptied, so that a page is measured as built, not as served from a cache."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture
def count_queries():
    """count_queries(callable) → (its result, the number of SQL queries it ran)."""

    def count(action):
        clear_caches()
        with CaptureQueriesContext(connection) as captured:
            result = action()
        return result, len(captured.captured_queries)

    return count
