"""Sessions: a new key at log-in, an idle timeout and an absolute lifetime, none for anonymous
visitors, and a disabled account's sessions ended and removed from the store."""

import time
from html.parser import HTMLParser
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chunan_community.accounts import LOGGED_IN_AT, SEEN_AT, end_user_sessions
from chunan_community.models import LoginSession
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")
PAGE = reverse("communities:workspace_community", args=["home"])  # the clerk's own page


@pytest.fixture
def en(client):
    client.cookies["django_language"] = "en"
    return client


def _log_in(client, username):
    response = client.post(LOGIN_URL, {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client.session.session_key


def _stored(key) -> bool:
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(key)


def _age(client, *, logged_in_seconds_ago=0, seen_seconds_ago=0):
    session = client.session
    now = time.time()
    session[LOGGED_IN_AT] = now - logged_in_seconds_ago
    session[SEEN_AT] = now - seen_seconds_ago
    session.save()


def _messages(response):
    return [str(m) for m in response.context["messages"]]


# ---------- A new session at log-in ----------


def test_session_login_gives_a_new_key_and_drops_the_old(client, users):
    planted = client.session  # e.g. a key an attacker planted before the log-in
    planted["note"] = "before"
    planted.save()
    old_key = planted.session_key

    new_key = _log_in(client, "clerk")

    assert new_key != old_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == new_key
    assert (_stored(old_key), _stored(new_key)) == (False, True)
    assert client.session["note"] == "before"  # the data moves, the key does not
    assert client.session[SESSION_KEY] == str(users["clerk"].pk)
    assert list(LoginSession.objects.values_list("session_key", "user")) == [
        (new_key, users["clerk"].pk)
    ]


def test_session_two_logins_of_one_user_get_two_keys(client, users):
    other = type(client)()

    first, second = _log_in(client, "clerk"), _log_in(other, "clerk")

    assert first != second
    assert other.session[SESSION_KEY] == client.session[SESSION_KEY]
    assert set(LoginSession.objects.values_list("session_key", flat=True)) == {first, second}


def test_session_logout_removes_it_and_its_record(client, users):
    key = _log_in(client, "clerk")

    client.post(reverse("logout"))

    assert not _stored(key)
    assert LoginSession.objects.count() == 0


# ---------- Anonymous visitors ----------


@pytest.mark.parametrize(
    "url", ["/", "/communities/", "/ratings/", LOGIN_URL, "/admin/login/", PAGE]
)
def test_session_anonymous_visitor_gets_none(client, tree, url):
    response = client.get(url)

    assert response.status_code in (200, 302)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0


# ---------- Idle timeout and absolute lifetime ----------


def test_session_active_within_idle_limit_stays(client, users):
    _log_in(client, "clerk")
    _age(client, logged_in_seconds_ago=29 * 60, seen_seconds_ago=29 * 60)
    before = time.time()

    response = client.get(PAGE)

    assert response.status_code == 200
    assert client.session[SEEN_AT] >= before  # the activity is recorded


def test_session_last_request_is_written_at_most_once_a_minute(client, users):
    _log_in(client, "clerk")
    _age(client, seen_seconds_ago=30)
    seen = client.session[SEEN_AT]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)

    assert response.status_code == 200
    assert client.session[SEEN_AT] == seen
    assert [
        q["sql"] for q in queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]
    ] == []


def test_session_idle_too_long_ends_with_a_message(en, users):
    key = _log_in(en, "clerk")
    _age(en, seen_seconds_ago=30 * 60 + 5)

    response = en.get(PAGE + "?page=2")
    page = en.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={PAGE}%3Fpage%3D2"
    assert not _stored(key)
    assert LoginSession.objects.count() == 0
    assert _messages(page) == [
        "You were logged out after 30 minutes without activity. Please log in again."
    ]
    assert page.context["user"].is_anonymous


def test_session_idle_limit_comes_from_settings(en, users, settings):
    settings.CHUNAN_SESSION_IDLE_MINUTES = 5
    _log_in(en, "clerk")
    _age(en, seen_seconds_ago=5 * 60 + 5)

    response = en.get(PAGE, follow=True)

    assert response.redirect_chain == [(f"{LOGIN_URL}?next={PAGE}", 302)]
    assert _messages(response) == [
        "You were logged out after 5 minutes without activity. Please log in again."
    ]


def test_session_absolute_lifetime_ends_even_an_active_session(en, users):
    key = _log_in(en, "clerk")
    _age(en, logged_in_seconds_ago=10 * 3600 + 5, seen_seconds_ago=1)

    response = en.get(PAGE, follow=True)

    assert response.redirect_chain == [(f"{LOGIN_URL}?next={PAGE}", 302)]
    assert not _stored(key)
    assert _messages(response) == [
        "You were logged out: a session lasts at most 10 hours. Please log in again."
    ]


def test_session_absolute_lifetime_comes_from_settings(client, users, settings):
    settings.CHUNAN_SESSION_MAX_HOURS = 1
    _log_in(client, "clerk")
    _age(client, logged_in_seconds_ago=3600 + 5)

    response = client.get(PAGE)

    assert response.status_code == 302


def test_session_expired_on_a_post_goes_to_login_without_next(client, users):
    _log_in(client, "clerk")
    _age(client, seen_seconds_ago=31 * 60)

    response = client.post(reverse("logout"))

    assert response["Location"] == LOGIN_URL


def test_session_expired_on_the_login_page_shows_it_with_the_message(en, users):
    _log_in(en, "clerk")
    _age(en, seen_seconds_ago=31 * 60)

    response = en.get(LOGIN_URL)

    assert response.status_code == 200
    assert response.context["user"].is_anonymous
    assert _messages(response) == [
        "You were logged out after 30 minutes without activity. Please log in again."
    ]


def test_session_without_login_times_is_ended(client, users):
    # A session from before these limits, or forged data: it has no log-in time.
    client.force_login(users["clerk"])
    session = client.session
    del session[LOGGED_IN_AT]
    session.save()

    response = client.get(PAGE)

    assert response.status_code == 302


def test_session_cookie_and_store_last_the_absolute_lifetime(client, users):
    key = _log_in(client, "clerk")

    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    assert Session.objects.get(session_key=key).expire_date.timestamp() == pytest.approx(
        time.time() + 10 * 3600, abs=60
    )


# ---------- Disabled accounts ----------


def test_session_disabled_account_sessions_end_at_once(client, users):
    second = type(client)()
    keys = {_log_in(client, "clerk"), _log_in(second, "clerk")}
    other_key = _log_in(type(client)(), "township")
    clerk = users["clerk"]

    clerk.is_active = False
    clerk.save()

    assert [_stored(key) for key in keys] == [False, False]
    assert _stored(other_key)
    assert set(LoginSession.objects.values_list("session_key", flat=True)) == {other_key}
    assert client.get(PAGE)["Location"] == f"{LOGIN_URL}?next={PAGE}"
    assert second.get(PAGE)["Location"] == f"{LOGIN_URL}?next={PAGE}"


def test_session_disabled_through_the_admin(client, users):
    clerk_client = type(client)()
    key = _log_in(clerk_client, "clerk")
    client.force_login(users["county"])
    url = reverse("admin:auth_user_change", args=[users["clerk"].pk])
    data = _form_values(client.get(url).content.decode(), form_id="user_form")
    assert data.pop("is_active") == "on"

    response = client.post(url, data)

    assert response.status_code == 302
    assert get_user_model().objects.get(username="clerk").is_active is False
    assert not _stored(key)
    assert clerk_client.get(PAGE).status_code == 302


def test_session_disabled_without_save_is_refused_and_removed_on_next_request(client, users):
    key = _log_in(client, "clerk")
    get_user_model().objects.filter(username="clerk").update(is_active=False)

    response = client.get(PAGE)

    assert response["Location"] == f"{LOGIN_URL}?next={PAGE}"
    assert not _stored(key)
    assert LoginSession.objects.count() == 0


def test_session_deleted_account_sessions_are_removed(client, users):
    key = _log_in(client, "clerk")

    users["clerk"].delete()

    assert not _stored(key)
    assert client.get(PAGE).status_code == 302


@pytest.mark.parametrize("other_sessions", [1, 30])
def test_session_ending_reads_only_the_users_own_sessions(client, users, other_sessions):
    key = _log_in(client, "clerk")
    for n in range(other_sessions):
        _log_in(type(client)(), make_user(None, username=f"someone{n}").username)

    with CaptureQueriesContext(connection) as queries:
        ended = end_user_sessions(users["clerk"])

    assert ended == 1
    # Found through the record of log-ins, then each removed by its key: the same queries
    # for 1 or 30 other sessions, and each touches the session table only at that key.
    session_queries = [q["sql"] for q in queries if "django_session" in q["sql"]]
    assert len(queries) == 4
    assert len(session_queries) == 2
    assert all(f"'{key}'" in sql for sql in session_queries)
    assert Session.objects.count() == other_sessions


def test_session_password_change_keeps_the_record_on_the_new_key(client, users):
    county = users["county"]
    old_key = _log_in(client, "county")
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Another-long-passphrase",
            "new_password2": "Another-long-passphrase",
        },
    )
    assert response.status_code == 302
    new_key = client.session.session_key
    client.get(PAGE)  # the first request on the new key records it

    county.is_active = False
    county.save()

    assert new_key != old_key
    assert not _stored(new_key)
    assert client.get(PAGE).status_code == 302


class _FormValues(HTMLParser):
    """The values a browser would submit from one form (text, hidden, checked, selected)."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, {}
        self._select, self._textarea = None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or ("name" not in a and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _form_values(page, form_id):
    parser = _FormValues(form_id)
    parser.feed(page)
    return parser.values
