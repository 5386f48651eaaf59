"""The public pages' cache: rendered pages kept in the shared cache (CHUNAN_CACHE_URL) and
dropped, all at once, whenever something a public page shows changes.

A page is kept under a key made of the day, the language and the full URL, together with
the content version it was rendered under. The version is a random token in the same
cache: saving or deleting any row of a model in WATCHED drops it and the next request draws
a new one, so no page kept under the old token is served again (each is rendered anew on
its next request, and expires after CHUNAN_PUBLIC_CACHE_SECONDS anyway). Because the token
lives in the shared cache, a change made by one gunicorn worker (or one app server) is seen
by all of them: that is why the cache must be shared (docs/scaling.md).

Only what is the same for every anonymous visitor is kept: anonymous GET and HEAD, no
pending messages, and a 200 response that used no CSRF token, set no cookie, touched no
session, varies on nothing else and is not marked Cache-Control: private by its view. The
decorator runs inside the middleware, so a page from the cache gets the same headers
(Content-Language, CSP, Vary, ...) as a fresh one.

Writes that send no signals (bulk_create, QuerySet.update(), raw SQL) are not seen: pages
then stay stale for at most CHUNAN_PUBLIC_CACHE_SECONDS. Pages that change with the date
(a notice period opening or closing, terms falling due) are keyed by the day.
"""

import functools
import hashlib
import logging
import uuid

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_max_age

logger = logging.getLogger(__name__)

# Every model whose rows a kept public page shows (home, directory, profile, ratings,
# notice, commendations, announcements): tests/test_public_cache.py checks that each table
# these pages read is here. Declarations and scores are not: they show only while a round is
# under notice, when its results page is never kept (a CSRF form) and its printable notice is
# kept for CHUNAN_NOTICE_LIVE_SECONDS only (max-age), so judging does not empty the cache.
# Objection is handled apart: only moderated opinions are ever shown.
WATCHED = (
    "communities.Township",
    "communities.Community",
    "communities.Restructuring",
    "communities.FormerArea",
    "communities.Formation",
    "communities.GovernanceBody",
    "communities.PartyBranch",
    "communities.Term",
    "communities.CoBuildingUnit",
    "communities.CoBuildingPairing",
    "communities.Honour",
    "communities.Facility",
    "ratings.Round",
    "ratings.Criterion",
    "ratings.CutOff",
    "ratings.RoundEvent",
    "ratings.Rating",
    "services.ServiceNetwork",
    "services.ServiceOutlet",
    "services.Commendation",
    # The county's announcements: the home page's list, their own list and pages.
    "portal.Announcement",
    # The published reports (统计信息): the home page's list, their own list and pages.
    "reports.Publication",
)
OBJECTION = "ratings.Objection"


LOOPBACK_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}
DEFAULT_PORTS = {"postgresql": "5432"}


def _namespace() -> str:
    """Keys are per database: two portals on one machine (the demo on SQLite, a benchmark on
    PostgreSQL) may share the default file cache without seeing each other's pages. Every
    app server must derive the same namespace, however its DATABASE_URL names the database,
    or it never sees the others' changes: CHUNAN_CACHE_NAMESPACE when set, else the URL's
    parts normalised (see database_identity)."""
    if settings.CHUNAN_CACHE_NAMESPACE:
        return f"public:{settings.CHUNAN_CACHE_NAMESPACE}"
    return _hashed_namespace(database_identity(connections["default"].settings_dict))


def cache_namespace() -> str:
    """The prefix of this database's keys in the shared cache (other caches of the portal's
    pages, e.g. reports.live, key theirs under it too)."""
    return _namespace()


def database_identity(db: dict) -> str:
    """engine|host|port|name, the same for every spelling of one database's address: the
    engine's default port when none is written (`…@db:5432/chunan` = `…@db/chunan`), the host
    in lower case, and this machine's server as `localhost` whether it is named so,
    127.0.0.1, ::1 or left out (libpq's Unix socket)."""
    vendor = db["ENGINE"].rsplit(".", 1)[-1].removesuffix("_psycopg2")
    if vendor == "sqlite3":
        return f"{vendor}|||{db['NAME']}"
    host = str(db.get("HOST") or "").strip().lower()
    host = "localhost" if host in LOOPBACK_HOSTS else host
    port = str(db.get("PORT") or "").strip() or DEFAULT_PORTS.get(vendor, "")
    return f"{vendor}|{host}|{port}|{db['NAME']}"


@functools.lru_cache(maxsize=16)
def _hashed_namespace(database: str) -> str:
    return "public:" + hashlib.sha256(database.encode()).hexdigest()[:12]


def _new_version(key) -> str:
    # A missing token (first start, or evicted) is a new one: nothing kept before is read
    # again, so losing it costs misses, never a stale page.
    cache.add(key, uuid.uuid4().hex, timeout=None)
    return cache.get(key)


class ContentVersion:
    """A token in the shared cache, under this database's namespace, that saving or deleting
    a row of the models it watches draws anew: what was kept under the old token is never
    read again. The public pages keep theirs under `version`; other caches of the portal
    (reports.live) name their own."""

    def __init__(self, name: str, label: str):
        self.name, self.label = name, label

    def key(self, namespace=None) -> str:
        return f"{namespace or _namespace()}:{self.name}"

    def current(self) -> str:
        key = self.key()
        return cache.get(key) or _new_version(key)

    def bump(self) -> None:
        """Forget the token: the next reader draws a new one. A delete, not a set: it is the
        cheapest write in every backend (the file cache lists its directory on each set),
        and a bulk change saving thousands of rows bumps once per row."""
        try:
            cache.delete(self.key())
        except Exception:
            logger.exception("%s: the version could not be bumped", self.label)

    def changed(self, using=None) -> None:
        # Bump now, and once more after the commit: what another worker builds between the
        # two (from data not yet committed) is kept under the first token only.
        self.bump()
        if transaction.get_connection(using).in_atomic_block:
            transaction.on_commit(self.bump, using=using)

    def row_saved_or_deleted(self, sender, using=None, **kwargs):
        self.changed(using)

    def relation_changed(self, sender, action, using=None, **kwargs):
        if action in ("post_add", "post_remove", "post_clear"):
            self.changed(using)

    def watch(self, model, receiver=None) -> None:
        """Bump on every save and delete of `model` (through `receiver`, when some of its
        rows matter and others not), and on every change of its many-to-many relations."""
        receiver = receiver or self.row_saved_or_deleted
        uid = f"{self.name}.{model._meta.label}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}.save")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}.delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                self.relation_changed,
                sender=field.remote_field.through,
                weak=False,
                dispatch_uid=f"{uid}.m2m.{field.name}",
            )


PUBLIC_PAGES = ContentVersion("version", "public page cache")
_version_key = PUBLIC_PAGES.key
current_version = PUBLIC_PAGES.current
bump_version = PUBLIC_PAGES.bump


def _objection_saved_or_deleted(sender, instance, using=None, **kwargs):
    # A new opinion waits for moderation and shows nowhere: the public cannot empty the
    # cache by sending opinions. Publishing or hiding one (county staff) does.
    if instance.status != instance.Status.PENDING:
        PUBLIC_PAGES.changed(using)


def connect_invalidation() -> None:
    """Connect the receivers that bump the version (from PortalConfig.ready())."""
    for label in WATCHED:
        PUBLIC_PAGES.watch(apps.get_model(label))
    PUBLIC_PAGES.watch(apps.get_model(OBJECTION), _objection_saved_or_deleted)


def _cacheable_request(request) -> bool:
    return (
        settings.CHUNAN_PUBLIC_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        # len() loads the messages without marking them read.
        and not len(get_messages(request))
    )


def _cacheable_response(request, response) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Vary")
        # A view says so when a page is the visitor's own; a live one sets a short max-age.
        and not {"private", "no-store", "no-cache"} & _directives(response)
        and _keep_seconds(response) > 0
        # Set by django.middleware.csrf.get_token(): the page holds a CSRF token (a form),
        # which is the visitor's own.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not getattr(get_messages(request), "added_new", False)
    )


def _keep_seconds(response) -> int:
    """How long a page is kept: CHUNAN_PUBLIC_CACHE_SECONDS, or less when its view says
    `Cache-Control: max-age=N`. A live page (the notice of a round under public notice,
    computed from tables no signal watches) sets a short max-age: it is then kept that
    long at most, so that a crowd reading it costs one rendering every N seconds."""
    max_age = get_max_age(response)
    if max_age is None:
        return settings.CHUNAN_PUBLIC_CACHE_SECONDS
    return min(max_age, settings.CHUNAN_PUBLIC_CACHE_SECONDS)


def _directives(response) -> set[str]:
    return {
        part.split("=")[0].strip().lower() for part in response.get("Cache-Control", "").split(",")
    }


def _page_key(request, namespace) -> str:
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    day = timezone.localdate().isoformat()
    return f"{namespace}:page:{day}:{language}:{url}"


def public_page(view):
    """Serve an anonymous visitor's GET from the cache; keep what may be shared. The page is
    public: marked login_not_required.

    A page is kept with the version it was rendered under and served only while that is
    still the current version. Both are read at once (one round trip to Redis), and a
    page of an old version is overwritten by the next rendering rather than left behind.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        namespace = _namespace()
        version_key, page_key = _version_key(namespace), _page_key(request, namespace)
        try:
            found = cache.get_many([version_key, page_key])
            version = found.get(version_key) or _new_version(version_key)
        except Exception:
            # The cache is an optimisation: without it the page is rendered as usual.
            logger.exception("public page cache: unavailable")
            return view(request, *args, **kwargs)
        kept = found.get(page_key)
        if kept is not None and kept[0] == version:
            _version, content, headers = kept
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if _cacheable_response(request, response):
            try:
                cache.set(
                    page_key,
                    (version, response.content, dict(response.headers)),
                    _keep_seconds(response),
                )
            except Exception:
                logger.exception("public page cache: the page could not be kept")
        return response

    # A public page needs no log-in (Django's marker, read by the log-in's landing rule).
    return login_not_required(wrapper)
