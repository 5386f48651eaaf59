"""Faults: the database going away and coming back, and writes failing half way.

The database is never stopped (the test server is shared): on PostgreSQL the portal's
connection is closed and pointed at a port nobody listens on, elsewhere opening a
connection fails. A write failing half way is the database refusing one statement
(connection.execute_wrapper), as a full disk would: whatever was written before it in the
same change must be gone. No test here is wrapped in a transaction (faults.committed): the
connection is closed and reopened, and each write under test commits or rolls back for real.
"""

import socket
import time
import wsgiref.util
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import translation

from communities.models import (
    Community,
    Facility,
    MonthlyReturn,
    ReturnEvent,
    ReturnImport,
    ReturnStatus,
    Township,
)
from ratings import domain as ratings_domain
from ratings.models import Rating, RoundEvent, RoundStatus
from services.domain import service_record_batch
from services.models import ServiceRecord, TimeBankEntry
from tests.factories import make_indicator, make_return, make_volunteer
from tests.security.faults import (
    AFTER_NOTICE,
    MONTH,
    PERIOD,
    checked_import,
    committed,
    failing_write,
    round_to_confirm,
    row_counts,
)

pytestmark = pytest.mark.usefixtures("db")

POSTGRESQL = connection.vendor == "postgresql"
postgresql_only = pytest.mark.skipif(not POSTGRESQL, reason="a PostgreSQL server process")
LANGUAGES = {"zh-hans": "zh-Hans", "en": "en"}
# Never on an error page: a stack trace, a setting, a module path, SQL, the driver's message.
LEAKS = ("Traceback", 'File "', "SECRET_KEY", "DATABASES", "django.", "psycopg", "sqlite")
LEAKS += ("OperationalError", "SELECT", "No space left", "connection", "refused", "5432")


@pytest.fixture
def db(django_db_setup, django_db_blocker):
    """pytest-django's `db` (which `tree` and `users` use) with the data committed."""
    with committed(django_db_blocker):
        yield


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_unreachable():
    """Every attempt to reach the database fails until the block ends."""
    if POSTGRESQL:
        # The real thing: the next connection attempt is refused by the operating system.
        port = connection.settings_dict["PORT"]
        connection.close()
        connection.settings_dict["PORT"] = str(_free_port())
        try:
            yield
        finally:
            connection.settings_dict["PORT"] = port
            connection.close()
    else:
        # SQLite's test database lives in memory and must not be closed: opening it fails.
        refused = OperationalError("unable to open database file")
        with mock.patch.object(connection, "ensure_connection", side_effect=refused):
            yield


def visitor(language, user=None):
    client = Client(raise_request_exception=False)
    if language == "en":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def assert_server_error_page(response, language):
    content = response.content.decode()
    with translation.override(language):
        title = translation.gettext("Server error")
    assert response.status_code == 500
    assert response.templates[0].name == "500.html"
    assert f'<html lang="{LANGUAGES[language]}">' in content
    assert f"<h1>{title}</h1>" in content
    assert '<header class="site-header">' in content
    assert [leak for leak in LEAKS if leak in content] == []


# ---------- The database goes away and comes back ----------


def test_database_down_gives_error_page_and_503_then_recovers(tree, users):
    public = reverse("communities:directory")
    private = reverse("communities:workspace_community", args=["home"])
    # Each page in each language: anonymous visitors and a logged-in clerk; and an address
    # that does not exist (its 404 page shows who is logged in, which needs the database).
    visits = [
        (visitor(language, user), url, language)
        for language in LANGUAGES
        for user, url in ((None, public), (users["clerk"], private), (users["clerk"], "/nowhere/"))
    ]

    with database_unreachable():
        down = [(client.get(url), language) for client, url, language in visits]
        health = visits[0][0].get("/healthz")

    up = [client.get(url) for client, url, _language in visits]
    health_up = visits[0][0].get("/healthz")

    for response, language in down:
        assert_server_error_page(response, language)
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "down"}
    assert [response.status_code for response in up] == [200, 200, 404] * 2
    assert up[1].context["community"] == tree["home"]
    assert (health_up.status_code, health_up.json()) == (200, {"status": "ok"})


def _wsgi_get(path: str, cookie: str = "") -> str:
    """GET through Django's real WSGI handler, as gunicorn calls it: unlike the test client it
    runs close_old_connections at the start and end of the request, where CONN_MAX_AGE and
    CONN_HEALTH_CHECKS act. Returns the status line."""
    environ = {"PATH_INFO": path, "HTTP_COOKIE": cookie}
    wsgiref.util.setup_testing_defaults(environ)
    status = []
    response = WSGIHandler()(environ, lambda line, headers: status.append(line))
    b"".join(response)
    response.close()
    return status[0]


def _restart_backend_of(wrapper):
    """End the server process behind `wrapper`'s connection, as a PostgreSQL restart or a
    failover does, from a second connection; wait until it is gone."""
    pid = wrapper.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return pid
                time.sleep(0.05)
    finally:
        other.close()
    raise AssertionError(f"backend {pid} still running")


@postgresql_only
def test_restarted_server_is_reconnected_on_the_next_request(users):
    client = visitor("en", users["clerk"])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    page = reverse("communities:workspace_community", args=["home"])
    assert _wsgi_get("/healthz") == "200 OK"
    # CONN_MAX_AGE: the request left its connection open for the next one.
    assert connection.connection is not None
    pid = _restart_backend_of(connection)

    health = _wsgi_get("/healthz")
    workspace = _wsgi_get(page, cookie)

    # CONN_HEALTH_CHECKS: the dead connection was noticed before use and replaced.
    assert (health, workspace) == ("200 OK", "200 OK")
    assert connection.connection.info.backend_pid != pid


@postgresql_only
def test_without_health_checks_a_restart_costs_a_failed_request():
    # Why CONN_HEALTH_CHECKS is on: without it the first request after a restart fails.
    assert _wsgi_get("/healthz") == "200 OK"
    connection.health_check_enabled = False
    _restart_backend_of(connection)

    statuses = [_wsgi_get("/healthz"), _wsgi_get("/healthz")]

    assert statuses == ["503 Service Unavailable", "200 OK"]
    assert connection.health_check_enabled is True  # the new connection reads the setting


# ---------- Writes failing half way leave nothing behind ----------


def test_state_change_failing_after_its_first_write_changes_nothing(tree, users):
    monthly_return = make_return(
        community=tree["home"], period=PERIOD, status=ReturnStatus.SUBMITTED, version=2
    )
    client = visitor("en", users["township"])
    url = reverse("returns:transition", args=["home", MONTH, "approve"])
    before = row_counts()

    # The return's row is updated (status, version, approval time), then the event is refused.
    with failing_write(ReturnEvent):
        response = client.post(url)

    assert_server_error_page(response, "en")
    assert row_counts() == before
    monthly_return.refresh_from_db()
    assert (monthly_return.status, monthly_return.version, monthly_return.approved_at) == (
        ReturnStatus.SUBMITTED,
        2,
        None,
    )
    # Once the database is well, the same click works.
    assert client.post(url).status_code == 302
    monthly_return.refresh_from_db()
    assert (monthly_return.status, monthly_return.version) == (ReturnStatus.APPROVED, 3)


def test_round_confirm_failing_at_its_last_write_records_no_rating(tree, users):
    round_ = round_to_confirm(tree)["round"]
    before = row_counts()

    # Both ratings and the round's new status are written; the event, last, is refused.
    with failing_write(RoundEvent), pytest.raises(OperationalError):
        ratings_domain.round_confirm(round=round_, by=users["county"], today=AFTER_NOTICE)

    assert row_counts() == before
    round_.refresh_from_db()
    assert (round_.status, round_.finalised_on) == (RoundStatus.NOTICE, None)
    ratings_domain.round_confirm(round=round_, by=users["county"], today=AFTER_NOTICE)
    assert Rating.objects.filter(round=round_).count() == 2


def test_session_batch_failing_half_way_deposits_nothing(tree, users):
    volunteer = make_volunteer(community=tree["home"])
    sessions = [
        {"volunteer": volunteer, "served_on": PERIOD, "hours": Decimal(2), "activity": "助老"}
        for _ in range(3)
    ]
    before = row_counts()

    # Two sessions and their deposits are written; the third deposit is refused.
    with failing_write(TimeBankEntry, after=2), pytest.raises(OperationalError):
        service_record_batch(sessions=sessions, by=users["clerk"])

    assert row_counts() == before
    assert ServiceRecord.objects.count() == TimeBankEntry.objects.count() == 0


@pytest.fixture
def indicators(db):
    return [make_indicator(code="households"), make_indicator(code="residents")]


def test_import_failing_half_way_imports_nothing(tree, users, indicators):
    client = visitor("en", users["county"])
    checked = checked_import(client)
    url = reverse("returns:import_preview", args=[checked.pk])
    before = row_counts()

    # Rows 1 and 2 are saved (returns, figures, history, events); row 3's event is refused.
    with failing_write(ReturnEvent, after=2):
        response = client.post(url)

    assert_server_error_page(response, "en")
    assert row_counts() == before
    assert MonthlyReturn.objects.count() == 0
    checked.refresh_from_db()
    assert checked.status == ReturnImport.Status.PREVIEWED
    # The same import can be confirmed once the database is well.
    confirmed = client.post(url, follow=True)
    assert [str(m) for m in confirmed.context["messages"]] == ["3 returns imported."]
    assert sorted(MonthlyReturn.objects.values_list("community__code", flat=True)) == [
        "far",
        "home",
        "neighbour",
    ]


def test_load_chunan_failing_half_way_loads_nothing():
    before = row_counts()

    # Townships and communities are written, then the first facility is refused.
    with failing_write(Facility), pytest.raises(OperationalError):
        call_command("load_chunan", verbosity=0)

    assert row_counts() == before
    assert Township.objects.count() == Community.objects.count() == 0
