"""Log-in throttling (django-axes): failures are counted per username and client address.

After CHUNAN_LOGIN_FAILURE_LIMIT failures for one username from one address, that pair is
refused for CHUNAN_LOGIN_COOLOFF_MINUTES with a 429 page, even with the right password. The
same user from another address, and other users from the same address (a whole township
behind one NAT or proxy), log in as usual. Behind a trusted proxy the client's address
counts, never the proxy's.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from ratings import notice_views
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")
ADMIN_LOGIN_URL = reverse("admin:login")
ADDRESS, OTHER_ADDRESS = "192.0.2.10", "192.0.2.20"


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def _log_in(client, username, password, url=LOGIN_URL, address=ADDRESS, **headers):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def _fail(client, username, times, **kwargs):
    return [_log_in(client, username, "wrong-password", **kwargs).status_code for _ in range(times)]


def _logged_in_as(client):
    return client.session.get(SESSION_KEY)


def test_login_throttle_pauses_the_pair_at_the_failure_limit(en, users):
    statuses = _fail(en, "clerk", settings.AXES_FAILURE_LIMIT)
    right_password = _log_in(en, "clerk", PASSWORD)

    assert settings.AXES_FAILURE_LIMIT == 5
    assert statuses == [200, 200, 200, 200, 429]
    assert right_password.status_code == 429
    assert _logged_in_as(en) is None
    assert AccessAttempt.objects.get().failures_since_start == 6  # the refused try counts


def test_login_throttle_page_says_why_and_when(en, users):
    _fail(en, "clerk", 5)

    response = _log_in(en, "clerk", PASSWORD)

    page = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert 'id="lockout-message"' in page
    assert 'class="site-header"' in page  # the portal's own layout
    assert (
        "There were 5 failed log-ins for this account from your address, so log-in is paused. "
        "Try again in 15 minutes." in " ".join(page.split())
    )


def test_login_throttle_other_address_and_other_users_still_log_in(client, users):
    _fail(client, "clerk", 5)

    same_user_elsewhere = _log_in(client, "clerk", PASSWORD, address=OTHER_ADDRESS)
    client.logout()
    other_user_same_address = _log_in(client, "township", PASSWORD)

    assert same_user_elsewhere.status_code == 302
    assert other_user_same_address.status_code == 302
    assert _logged_in_as(client) == str(users["township"].pk)


def test_login_throttle_unknown_usernames_are_counted_too(client, users):
    statuses = _fail(client, "nobody-here", 5)

    assert statuses == [200, 200, 200, 200, 429]


def test_login_throttle_ends_after_the_cool_off(client, users, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    _fail(client, "clerk", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))

    response = _log_in(client, "clerk", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == str(users["clerk"].pk)
    assert AccessAttempt.objects.count() == 0  # reset on success


def test_login_throttle_success_resets_the_count(client, users):
    before = _fail(client, "clerk", 4)
    _log_in(client, "clerk", PASSWORD)
    client.logout()

    after = _fail(client, "clerk", 5)

    assert before == [200, 200, 200, 200]
    assert after == [200, 200, 200, 200, 429]


def test_login_throttle_limit_and_cool_off_come_from_settings(en, users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=1)

    statuses = _fail(en, "clerk", 2)
    response = _log_in(en, "clerk", PASSWORD)

    assert statuses == [200, 429]
    assert response["Retry-After"] == "60"
    assert "Try again in 1 minute." in " ".join(response.content.decode().split())


def test_login_throttle_covers_the_admin_login(en, users):
    statuses = _fail(en, "county", 5, url=ADMIN_LOGIN_URL)
    admin = _log_in(en, "county", PASSWORD, url=ADMIN_LOGIN_URL)
    portal = _log_in(en, "county", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]
    assert (admin.status_code, portal.status_code) == (429, 429)
    assert 'id="lockout-message"' in admin.content.decode()
    assert _logged_in_as(en) is None


def test_login_throttle_behind_proxy_counts_the_client_not_the_proxy(client, users, settings):
    settings.CHUNAN_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"

    def through_proxy(password, forwarded):
        return _log_in(
            client, "clerk", password, address=proxy, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    statuses = [through_proxy("wrong-password", "203.0.113.7") for _ in range(5)]
    # A forged entry on the left does not change the address the proxy saw.
    forged = through_proxy(PASSWORD, "198.51.100.1, 203.0.113.7")
    other_client = through_proxy(PASSWORD, "203.0.113.8")

    assert statuses == [200, 200, 200, 200, 429]
    assert (forged, other_client) == (429, 302)
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]


def test_login_throttle_without_trusted_proxy_ignores_forwarded_header(client, users, settings):
    settings.CHUNAN_TRUSTED_PROXY_COUNT = 0

    statuses = [
        _log_in(
            client, "clerk", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(5)
    ]

    assert statuses == [200, 200, 200, 200, 429]
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ADDRESS]


def test_login_with_forwarded_header_and_no_trusted_proxy_logs_a_warning(
    client, users, settings, caplog
):
    """A proxy the settings do not know of (DJANGO_BEHIND_PROXY off, e.g. plain http behind
    nginx): every log-in says so in the log."""
    settings.CHUNAN_TRUSTED_PROXY_COUNT = 0

    _log_in(client, "clerk", "wrong-password", HTTP_X_FORWARDED_FOR="203.0.113.7")
    _log_in(client, "clerk", "wrong-password")

    warnings = [r for r in caplog.records if r.name == "chunan_community.client_address"]
    assert [(r.levelname, r.getMessage()) for r in warnings] == [
        (
            "WARNING",
            "X-Forwarded-For received but CHUNAN_TRUSTED_PROXY_COUNT is 0: behind a reverse "
            f"proxy every visitor has its address {ADDRESS} and shares one log-in throttle; "
            "set the number of proxies (1 behind nginx)",
        )
    ]


def test_login_throttle_uses_the_one_client_address_function():
    # One piece of code decides the address for every per-address limit.
    assert import_string(settings.AXES_CLIENT_IP_CALLABLE) is notice_views.client_address


def test_login_throttle_failed_login_creates_no_session(client, users):
    response = _log_in(client, "clerk", "wrong-password")

    assert settings.SESSION_COOKIE_NAME not in response.cookies
