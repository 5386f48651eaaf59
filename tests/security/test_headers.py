"""Security headers and cookies on real responses, under production's HTTPS settings.

Each response is fetched the way production receives it: over HTTPS terminated by the
reverse proxy (X-Forwarded-Proto: https). Pages of every kind are walked: public pages (some
served from the page cache), log-in pages, a staff page, an error, a static file, exports
and the log-in pause. A static check of the templates backs the strict policy: the browser
would block any inline script, style or handler, so none may exist.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings.models import RoundStatus
from tests.factories import PASSWORD
from tests.ratings.factories import make_round

pytestmark = pytest.mark.django_db

HTTPS = {"X-Forwarded-Proto": "https"}
PRODUCTION_HTTPS = override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_HSTS_PRELOAD=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    LANGUAGE_COOKIE_SECURE=True,
)

# (name, url or callable(world) -> url, who is logged in, expected status)
PAGES = [
    ("home", "/", None, 200),
    ("home again, from the page cache", "/", None, 200),
    ("directory", "/communities/", None, 200),
    ("profile", "/communities/home/", None, 200),
    ("ratings", "/ratings/", None, 200),
    ("round results", "/ratings/final-2025/", None, 200),
    ("login", "/accounts/login/", None, 200),
    ("admin login", "/admin/login/", None, 200),
    ("clerk page", "/manage/communities/home/", "clerk", 200),
    ("admin index", "/admin/", "county", 200),
    ("login required", "/manage/", None, 302),
    ("not found", "/no-such-page/", None, 404),
    ("not found, logged in", "/manage/communities/far/", "clerk", 404),
    ("static file", "/static/css/portal.css", None, 200),
    ("csv export", "/returns/export.csv", "clerk", 200),
    ("xlsx export", "/returns/export.xlsx", "clerk", 200),
    ("healthz", "/healthz", None, 200),
]


@pytest.fixture
def world(tree, users):
    make_round(code="final-2025", year=2025, status=RoundStatus.FINAL)
    return users


def https_client():
    return Client(headers=HTTPS)


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def hsts(header: str) -> dict[str, str]:
    parts = (part.strip().partition("=") for part in header.split(";"))
    return {name.lower(): value for name, _eq, value in parts}


def assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    directives = csp_directives(csp)
    sources = [source for values in directives.values() for source in values]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert [source for source in sources if "*" in source] == []
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    transport = hsts(response["Strict-Transport-Security"])
    assert int(transport["max-age"]) >= 31536000
    assert "includesubdomains" in transport
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@PRODUCTION_HTTPS
@pytest.mark.parametrize(("name", "url", "who", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_headers_on_every_kind_of_response(world, name, url, who, status):
    client = https_client()
    if who:
        client.force_login(world[who])
    cached = name.endswith("from the page cache")
    if cached:
        client.get(url)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == status
    if cached:
        assert len(queries) == 0  # served from the cache, with the same headers
    assert_security_headers(response)


@PRODUCTION_HTTPS
def test_headers_on_the_login_pause(world):
    client = https_client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})

    assert response.status_code == 429
    assert_security_headers(response)


@PRODUCTION_HTTPS
def test_headers_cookies_on_login_are_secure(world):
    client = https_client()

    page = client.get("/accounts/login/")
    login = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert login.status_code == 302
    assert (csrf["secure"], csrf["httponly"], csrf["samesite"]) == (True, True, "Lax")
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")
    assert session["max-age"] == settings.CHUNAN_SESSION_MAX_HOURS * 3600
    assert settings.LANGUAGE_COOKIE_NAME not in login.cookies


@PRODUCTION_HTTPS
def test_headers_language_cookie_is_secure(world):
    response = https_client().get(reverse("switch_language", args=["en"]))

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, cookie["secure"], cookie["httponly"], cookie["samesite"]) == (
        "en",
        True,
        True,
        "Lax",
    )


@PRODUCTION_HTTPS
def test_headers_plain_http_is_redirected_without_hsts(world):
    response = Client().get("/communities/?page=2")
    health = Client().get("/healthz")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/communities/?page=2"
    assert "Strict-Transport-Security" not in response
    assert health.status_code == 200  # the load balancer's check stays on plain http


def test_headers_settings_make_cookies_unreadable_to_scripts():
    assert (settings.SESSION_COOKIE_HTTPONLY, settings.CSRF_COOKIE_HTTPONLY) == (True, True)
    assert (settings.SESSION_COOKIE_SAMESITE, settings.CSRF_COOKIE_SAMESITE) == ("Lax", "Lax")


# ---------- No inline script, style or handler in any template ----------

TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
FORBIDDEN = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I | re.S),
    "<style> element": re.compile(r"<style\b", re.I),
}
FORBIDDEN_IN_TAGS = {
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code(text: str) -> list[str]:
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    for tag in TAG.findall(text):
        found += [name for name, pattern in FORBIDDEN_IN_TAGS.items() if pattern.search(tag)]
    return found


def project_templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    folders = [base / "templates", *(p for p in base.glob("*/templates") if p.is_dir())]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('<script src="/static/app.js"></script>', []),
        ("<script>alert(1)</script>", ["inline <script>"]),
        ('<script type="module">x()</script>', ["inline <script>"]),
        ("<style>p { color: red }</style>", ["<style> element"]),
        ('<p class="note" style="color: red">', ["style attribute"]),
        ('<button type="button" onclick="go()">', ["event handler attribute"]),
        ('<a href="javascript:go()">', ["javascript: URL"]),
        ('<a href="/" class="x">The onset=early style=plain text</a>', []),
    ],
)
def test_headers_inline_code_detector(text, found):
    assert inline_code(text) == found


def test_headers_no_template_holds_inline_code():
    templates = project_templates()

    offenders = {
        str(path.relative_to(settings.BASE_DIR)): inline_code(path.read_text())
        for path in templates
    }

    assert len(templates) > 50  # the walk found the templates
    assert {path: found for path, found in offenders.items() if found} == {}
