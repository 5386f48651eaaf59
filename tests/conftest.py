import datetime
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from communities.models import Role
from tests.factories import make_community, make_township, make_user
from tests.mail import mailbox, smtp_server  # noqa: F401  (the suite's SMTP server)


def pytest_configure(config):
    """CHUNAN_TEST_TODAY moves the clock of the whole run to a hard day (`.ci/run` does).

    An ISO date (10:00 in the county's time zone) or date and time with its offset, e.g.
    2028-02-29 or 2027-01-01T00:30+08:00; the clock then runs on from there. A test that
    needs a particular day still sets its own.
    """
    moment = os.environ.get("CHUNAN_TEST_TODAY")
    if not moment:
        return
    if len(moment) == len("2028-02-29"):
        moment += "T10:00"
    start = datetime.datetime.fromisoformat(moment)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    time_machine.travel(start, tick=True).start()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language: a request made in English by an
    earlier test leaves its language active in the thread."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the database is rolled back after a test, the
    public pages kept in the cache are not."""
    cache.clear()


@pytest.fixture
def tree(db):
    """Two townships, two communities in the first and one in the second.

    `home` is the community of the clerk under test; `neighbour` shares its township;
    `far` lies in the other township.
    """
    north, south = make_township(code="north"), make_township(code="south")
    home = make_community(township=north, code="home")
    neighbour = make_community(township=north, code="neighbour")
    far = make_community(township=south, code="far")
    return {"north": north, "south": south, "home": home, "neighbour": neighbour, "far": far}


@pytest.fixture
def users(tree):
    """One user per role, placed in the tree: the clerk of `home`, the staff of `north`."""
    return {
        "county": make_user(Role.COUNTY, username="county"),
        "township": make_user(Role.TOWNSHIP, township=tree["north"], username="township"),
        "other_township": make_user(
            Role.TOWNSHIP, township=tree["south"], username="other_township"
        ),
        "clerk": make_user(Role.CLERK, community=tree["home"], username="clerk"),
        "other_clerk": make_user(Role.CLERK, community=tree["far"], username="other_clerk"),
        "judge": make_user(Role.JUDGE, username="judge"),
        "no_role": make_user(None, username="no_role"),
    }
