"""The public pages' cache (chunan_community/public_cache.py): what is kept, for whom, when
it is dropped, the language switch without CSRF, and the shared backends (files, Redis)."""

import datetime
import os
import re
import uuid
from decimal import Decimal

import environ
import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.forms import BooleanField
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chunan_community import public_cache
from communities.models import Formation, FormerArea, GovernanceBody, Restructuring
from ratings import domain
from ratings.models import (
    ConflictOfInterest,
    CutOff,
    Objection,
    Rating,
    RoundStatus,
    Score,
    ScoreSheet,
    Tier,
)
from services.models import Commendation, ServiceNetwork, ServiceOutlet
from tests.factories import (
    make_announcement,
    make_body,
    make_branch,
    make_facility,
    make_honour,
    make_pairing,
    make_term,
    make_unit,
)
from tests.ratings.factories import make_assignment, make_criterion, make_declaration, make_round
from tests.test_settings import PRODUCTION_ENV, production_settings

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
# A Redis server the suite expects (not skipped when missing: CI starts one).
REDIS_URL = os.environ.get("CHUNAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture
def final_round(tree):
    round_ = make_round(code="r2024", year=2024, status=RoundStatus.FINAL, finalised_on=TODAY)
    Rating.objects.create(
        round=round_,
        community=tree["home"],
        tier=Tier.NORMATIVE,
        score=Decimal("80.00"),
        rank=1,
        valid_until=datetime.date(2026, 12, 31),
    )
    # The announcement of its results (on the home page, the announcements' list and page).
    make_announcement(round=round_, published_on=TODAY)
    return round_


@pytest.fixture
def notice_round(tree, users):
    """A round under public notice, scored by one judge, with a conflict declared."""
    round_ = make_round(
        code="n2026",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - DAY,
        notice_ends_on=TODAY + 5 * DAY,
    )
    criterion = make_criterion(round=round_, max_points=100)
    CutOff.objects.create(round=round_, tier=Tier.NORMATIVE, min_score=40)
    make_assignment(round=round_, judge=users["judge"], is_chair=True)
    declaration = make_declaration(round=round_, community=tree["home"])
    sheet = ScoreSheet.objects.create(judge=users["judge"], declaration=declaration)
    Score.objects.create(sheet=sheet, criterion=criterion, points=Decimal(70))
    ConflictOfInterest.objects.create(
        round=round_, judge=users["judge"], community=tree["far"], reason="居住"
    )
    return round_


@pytest.fixture
def full_profile(tree):
    """`home` with a record in every part of its public profile."""
    home = tree["home"]
    party = make_body(community=home, kind=GovernanceBody.Kind.PARTY)
    make_term(body=party)
    branch = make_branch(organisation=party)
    make_pairing(community=home, unit=make_unit(), party_branch=branch)
    make_honour(community=home)
    make_facility(community=home)
    restructuring = Restructuring.objects.create(
        township=tree["north"], name="2002年社区调整", effective_year=2002
    )
    area = FormerArea.objects.create(township=tree["north"], name="城中居委会")
    Formation.objects.create(restructuring=restructuring, former_area=area, community=home)
    ServiceNetwork.objects.create(
        community=home, kind=ServiceNetwork.Kind.values[0], established=True
    )
    ServiceOutlet.objects.create(
        community=home, kind=ServiceOutlet.Kind.values[0], name="社区卫生服务站"
    )
    Commendation.objects.create(
        year=2008, kind=Commendation.Kind.COLLECTIVE, name="西园社区居委会", title="先进社区"
    )
    return home


def _cacheable_urls(final_round, notice_round):
    return [
        "/",
        "/communities/",
        "/communities/?q=&township=north&page=1",
        "/communities/home/",
        "/ratings/",
        f"/ratings/{final_round.code}/",
        f"/ratings/{final_round.code}/notice/",
        "/services/commendations/",
        "/announcements/",
        final_round.announcements.get().get_absolute_url(),
    ]


def _get_counting_queries(client, url, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    return response, len(queries)


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


# ---------- What is kept, for whom ----------


def test_second_anonymous_get_is_served_from_cache_without_queries(
    client, full_profile, final_round, notice_round
):
    for url in _cacheable_urls(final_round, notice_round):
        fresh, fresh_queries = _get_counting_queries(client, url)
        kept, kept_queries = _get_counting_queries(client, url)

        assert (url, fresh.status_code, kept.status_code) == (url, 200, 200)
        assert fresh_queries > 0
        assert (url, kept_queries) == (url, 0)
        assert kept.content == fresh.content
        # Middleware runs on a page from the cache as on a fresh one.
        assert dict(kept.items()) == dict(fresh.items())
        assert "Content-Security-Policy" in kept
        assert kept["Content-Language"] == "zh-hans"


def test_head_after_get_is_served_from_cache(client, tree):
    client.get("/communities/")

    with CaptureQueriesContext(connection) as queries:
        response = client.head("/communities/")

    assert (response.status_code, len(queries)) == (200, 0)


def test_each_query_string_is_kept_apart(client, tree):
    whole = client.get("/communities/").content.decode()
    filtered = client.get("/communities/", {"township": "south"}).content.decode()

    assert 'href="/communities/home/"' in whole
    assert 'href="/communities/home/"' not in filtered
    assert 'href="/communities/far/"' in filtered


def test_logged_in_user_is_never_served_nor_stored(client, tree, users):
    client.get("/communities/home/")
    clerk = _logged_in(users["clerk"])

    as_clerk, clerk_queries = _get_counting_queries(clerk, "/communities/home/")
    clerk.get("/communities/neighbour/")
    anonymous = client.get("/communities/neighbour/").content.decode()

    assert clerk_queries > 0
    assert 'action="/accounts/logout/"' in as_clerk.content.decode()
    assert 'action="/accounts/logout/"' not in anonymous
    assert 'class="site-nav__login"' in anonymous


def test_each_language_is_kept_apart(client, tree):
    chinese = client.get("/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english, english_queries = _get_counting_queries(client, "/")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese_again, chinese_queries = _get_counting_queries(client, "/")

    assert chinese.startswith('<!DOCTYPE html>\n<html lang="zh-Hans">')
    assert english_queries > 0
    assert english.content.decode().startswith('<!DOCTYPE html>\n<html lang="en">')
    assert english["Content-Language"] == "en"
    assert (chinese_queries, chinese_again.content.decode()) == (0, chinese)


def test_page_with_a_csrf_form_is_not_kept(client, notice_round):
    url = notice_round.get_absolute_url()
    first = client.get(url)

    second, queries = _get_counting_queries(client, url)

    assert 'name="csrfmiddlewaretoken"' in first.content.decode()
    assert queries > 0
    assert second.cookies[settings.CSRF_COOKIE_NAME].value


def test_notice_of_a_round_under_notice_is_kept_for_seconds_only(
    client, notice_round, settings, monkeypatch
):
    """Live (proposed results from unwatched tables): kept CHUNAN_NOTICE_LIVE_SECONDS."""
    settings.CHUNAN_NOTICE_LIVE_SECONDS = 30
    url = reverse("ratings:round_notice", kwargs={"code": notice_round.code})
    timeouts = []
    real_set = cache.set

    def set_noting_timeout(key, value, timeout=None):
        timeouts.append(timeout)
        real_set(key, value, timeout)

    monkeypatch.setattr(cache, "set", set_noting_timeout)
    first = client.get(url)

    second, queries = _get_counting_queries(client, url)

    assert (first.status_code, first["Cache-Control"]) == (200, "max-age=30")
    assert timeouts == [30]
    assert (queries, second.content) == (0, first.content)


def test_notice_under_notice_is_never_kept_when_live_seconds_is_zero(
    client, notice_round, settings
):
    settings.CHUNAN_NOTICE_LIVE_SECONDS = 0
    url = reverse("ratings:round_notice", kwargs={"code": notice_round.code})
    client.get(url)

    _second, queries = _get_counting_queries(client, url)

    assert queries > 0


def test_pending_messages_bypass_the_cache_and_are_shown_once(client, rf, tree):
    kept = client.get("/").content.decode()
    storage = CookieStorage(rf.get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "已保存。")])

    with_message, queries = _get_counting_queries(client, "/")
    after = client.get("/").content.decode()

    assert queries > 0
    assert '<li class="message message--success">已保存。</li>' in with_message.content.decode()
    assert after == kept


def test_not_found_is_not_kept(client, tree):
    client.get("/communities/nowhere/")

    response, queries = _get_counting_queries(client, "/communities/nowhere/")

    assert response.status_code == 404
    assert queries > 0


@override_settings(CHUNAN_PUBLIC_CACHE_SECONDS=0)
def test_zero_seconds_turns_the_cache_off(client, tree):
    client.get("/")

    _response, queries = _get_counting_queries(client, "/")

    assert queries > 0


# ---------- When it is dropped ----------


def _community_change_form(client, community):
    """What the admin's change form of `community` sends back when nothing is edited."""
    response = client.get(reverse("admin:communities_community_change", args=[community.pk]))
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if isinstance(field.field, BooleanField):
                if value:
                    data[field.html_name] = "on"
            elif value is not None:
                data[field.html_name] = value
    return data


def test_profile_edited_in_the_admin_is_shown_at_once(client, tree, users):
    home = tree["home"]
    before = client.get("/communities/home/").content.decode()
    clerk = _logged_in(users["clerk"])
    data = _community_change_form(clerk, home)
    data["households"] = 4321

    saved = clerk.post(reverse("admin:communities_community_change", args=[home.pk]), data)
    after, queries = _get_counting_queries(client, "/communities/home/")

    assert saved.status_code == 302
    assert not re.search(r"4,?321", before)
    assert queries > 0
    assert re.search(r"4,?321", after.content.decode())


def test_round_published_is_listed_at_once(client, tree, users):
    round_ = make_round(
        code="p2026",
        name="2026年度公示测试评定",
        status=RoundStatus.RANKING,
        contact_phone="0571-65021234",
        contact_address="千岛湖镇新安东路1号",
    )
    before = client.get("/ratings/").content.decode()

    domain.round_advance(round=round_, to=RoundStatus.NOTICE, by=users["county"])
    after = client.get("/ratings/").content.decode()

    assert "2026年度公示测试评定" not in before
    assert "2026年度公示测试评定" in after


def test_round_confirmed_shows_on_the_profile_at_once(client, notice_round, users):
    before = client.get("/communities/home/").content.decode()
    _kept, kept_queries = _get_counting_queries(client, "/communities/home/")

    domain.round_confirm(
        round=notice_round, by=users["county"], today=notice_round.notice_ends_on + DAY
    )
    after = client.get("/communities/home/").content.decode()

    assert kept_queries == 0
    assert notice_round.name not in before
    assert notice_round.name in after


def test_commendation_added_in_the_admin_is_listed_at_once(client, tree, users):
    before = client.get("/services/commendations/").content.decode()
    county = _logged_in(users["county"])

    saved = county.post(
        reverse("admin:services_commendation_add"),
        {
            "year": 2009,
            "kind": Commendation.Kind.INDIVIDUAL,
            "name": "李晓华",
            "title": "优秀社区工作者",
            "community": tree["home"].pk,
        },
    )
    after = client.get("/services/commendations/").content.decode()

    assert saved.status_code == 302
    assert "李晓华" not in before
    assert "李晓华" in after


def test_new_opinion_does_not_empty_the_cache_but_publishing_it_does(
    client, final_round, notice_round, users
):
    version = public_cache.current_version()
    sent = Client().post(
        reverse("ratings:objection_submit", kwargs={"code": notice_round.code}),
        {"text": "活动场地面积与实际不符。"},
        REMOTE_ADDR="192.0.2.7",
    )
    objection = Objection.objects.get()
    status_on_arrival = objection.status
    after_submission = public_cache.current_version()

    objection.status = Objection.Status.PUBLISHED
    objection.save()

    assert (sent.status_code, status_on_arrival) == (302, Objection.Status.PENDING)
    assert after_submission == version
    assert public_cache.current_version() != version


def test_every_table_a_public_page_reads_is_watched(
    client, full_profile, final_round, notice_round
):
    """Each table behind a cached page belongs to a model whose changes empty the cache."""
    Objection.objects.create(
        round=final_round,
        community=full_profile,
        text="意见",
        sender_hash="x",
        status=Objection.Status.PUBLISHED,
        public_reply="已核实。",
    )
    watched = set()
    for label in (*public_cache.WATCHED, public_cache.OBJECTION):
        model = apps.get_model(label)
        watched.add(model._meta.db_table)
        watched.update(f.remote_field.through._meta.db_table for f in model._meta.many_to_many)

    read = {}
    for url in _cacheable_urls(final_round, notice_round):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        for query in queries:
            for table in re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', query["sql"]):
                read.setdefault(table, url)

    assert {table: url for table, url in read.items() if table not in watched} == {}
    assert {"communities_term", "ratings_rating", "services_serviceoutlet"} <= set(read)


# ---------- The language switch without CSRF ----------


def test_language_switch_sets_the_cookie_without_csrf(tree):
    client = Client(enforce_csrf_checks=True)

    switched = client.get("/i18n/language/en/", {"next": "/communities/?page=2"})

    cookie = switched.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (switched.status_code, switched["Location"]) == (302, "/communities/?page=2")
    assert (cookie.value, cookie["samesite"], bool(cookie["httponly"])) == ("en", "Lax", True)
    assert "no-store" in switched["Cache-Control"]
    assert (
        client.get("/communities/").content.decode().startswith('<!DOCTYPE html>\n<html lang="en">')
    )


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_language_switch_refuses_to_leave_the_site(client, next_url):
    switched = client.get("/i18n/language/en/", {"next": next_url})

    assert (switched.status_code, switched["Location"]) == (302, "/")
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_language_switch_unknown_language_is_404(client):
    response = client.get("/i18n/language/fr/", {"next": "/"})

    assert response.status_code == 404
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_language_switch_post_is_refused(client):
    assert client.post("/i18n/language/en/", {"next": "/"}).status_code == 405


def test_switcher_leaves_public_pages_cacheable(client, tree):
    page = client.get("/communities/?page=1").content.decode()

    assert (
        '<button type="submit" formaction="/i18n/language/en/" lang="en">English</button>' in page
    )
    assert '<input type="hidden" name="next" value="/communities/?page=1">' in page
    assert "csrfmiddlewaretoken" not in page


# ---------- Shared backends ----------


def test_file_cache_version_bump_is_seen_by_another_worker(client, tree, tmp_path):
    """Two gunicorn workers on one machine: two cache clients on the same directory."""
    location = str(tmp_path / "cache")
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": location,
            }
        }
    ):
        other_worker = FileBasedCache(location, {})
        key = f"{public_cache._namespace()}:version"
        client.get("/communities/home/")
        _kept, kept_queries = _get_counting_queries(client, "/communities/home/")
        version = public_cache.current_version()
        seen_before = other_worker.get(key)

        tree["home"].save()
        seen_after = other_worker.get(key)
        _fresh, fresh_queries = _get_counting_queries(client, "/communities/home/")

        assert kept_queries == 0
        assert seen_before == version
        assert seen_after != version
        assert fresh_queries > 0
        assert other_worker.get(key) == public_cache.current_version() != version


def test_redis_version_bump_is_seen_by_another_client(client, tree):
    """Two app servers: two Redis clients. Redis runs on this machine: not reachable fails."""
    prefix = f"tests-{uuid.uuid4().hex}"
    config = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    try:
        with override_settings(CACHES={"default": {**config, "KEY_PREFIX": prefix}}):
            other_server = RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
            key = f"{public_cache._namespace()}:version"
            client.get("/communities/home/")
            kept, kept_queries = _get_counting_queries(client, "/communities/home/")
            version = public_cache.current_version()
            seen_before = other_server.get(key)

            tree["home"].save()
            seen_after = other_server.get(key)
            _fresh, fresh_queries = _get_counting_queries(client, "/communities/home/")

            assert (kept.status_code, kept_queries) == (200, 0)
            assert seen_before == version
            assert seen_after != version
            assert fresh_queries > 0
            assert other_server.get(key) == public_cache.current_version() != version
    finally:
        server = redis.Redis.from_url(REDIS_URL)
        for stale in server.scan_iter(match=f"{prefix}:*"):
            server.delete(stale)


def test_production_cache_defaults_to_files_shared_by_the_workers():
    defaults = production_settings(
        "CACHES", "SESSION_ENGINE", "CHUNAN_PUBLIC_CACHE_SECONDS", **PRODUCTION_ENV
    )
    redis_config = production_settings(
        "CACHES",
        "SESSION_ENGINE",
        **PRODUCTION_ENV,
        CHUNAN_CACHE_URL=REDIS_URL,
        DJANGO_SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
    )

    cache = defaults["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert cache["LOCATION"] == str(settings.BASE_DIR / "var" / "cache")
    assert defaults["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert defaults["CHUNAN_PUBLIC_CACHE_SECONDS"] == 300
    assert redis_config == {
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        },
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
    }


# ---------- One namespace for every app server ----------


@pytest.mark.parametrize(
    "other_url",
    [
        "postgres://chunan:secret@db.internal/chunan",  # no port: the default
        "postgres://chunan:other@DB.internal:5432/chunan",  # another user, host in capitals
    ],
)
def test_namespace_is_the_same_however_the_database_url_is_written(other_url):
    written = environ.Env.db_url_config("postgres://chunan:secret@db.internal:5432/chunan")
    other = environ.Env.db_url_config(other_url)

    assert public_cache.database_identity(written) == public_cache.database_identity(other)
    assert public_cache.database_identity(written) == "postgresql|db.internal|5432|chunan"


def test_namespace_counts_every_loopback_spelling_as_this_machine():
    spellings = [
        "postgres://postgres@127.0.0.1:5432/chunan",
        "postgres://postgres@localhost/chunan",
        "postgres://postgres@[::1]:5432/chunan",
        "postgres:///chunan",  # libpq's Unix socket
    ]

    identities = {
        public_cache.database_identity(environ.Env.db_url_config(url)) for url in spellings
    }

    assert identities == {"postgresql|localhost|5432|chunan"}


def test_namespace_keeps_other_databases_apart():
    base = environ.Env.db_url_config("postgres://chunan@db.internal:5432/chunan")
    others = [
        environ.Env.db_url_config("postgres://chunan@db.internal:5433/chunan"),
        environ.Env.db_url_config("postgres://chunan@db2.internal:5432/chunan"),
        environ.Env.db_url_config("postgres://chunan@db.internal:5432/chunan_staging"),
        environ.Env.db_url_config("sqlite:////srv/chunan/chunan"),
    ]

    identities = [public_cache.database_identity(other) for other in others]

    assert public_cache.database_identity(base) not in identities
    assert len(set(identities)) == 4


def test_namespace_setting_overrides_the_database(settings):
    settings.CHUNAN_CACHE_NAMESPACE = "chunan-production"

    assert public_cache._namespace() == "public:chunan-production"
    assert public_cache._version_key() == "public:chunan-production:version"
