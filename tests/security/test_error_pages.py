"""Error pages: 400, 403 (including a refused CSRF token), 404 and 500 are the portal's own
pages, in the visitor's language (Chinese unless the English cookie is set), and never show
a stack trace, a setting, a module path or the text of the exception behind them."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import Client
from django.urls import include, path, reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

# The text of every exception the test views raise: it must never reach the page.
DETAIL = "detail-7f3a SECRET_KEY DATABASES select * from auth_user"
LEAKS = ("Traceback", 'File "', "SECRET_KEY", "DATABASES", "django.", "URLconf", "select ", DETAIL)
LANGUAGES = {"zh-hans": "zh-Hans", "en": "en"}
# Only in a page made from base.html: the skip link, the navigation and the switcher.
FULL_LAYOUT = (
    '<a class="skip-link" href="#main">',
    '<header class="site-header">',
    '<nav class="site-nav"',
    '<form class="lang-switch"',
    '<main id="main" class="container site-main"',
    '<footer class="site-footer">',
)
# The pages rendered without a request (500, CSRF) keep the header, main and footer.
STANDALONE_LAYOUT = (
    '<header class="site-header">',
    '<a class="site-name" href="/">',
    '<main id="main" class="container site-main">',
    '<footer class="site-footer">',
)


def _raises(exception):
    def view(request):
        raise exception

    return view


# This module doubles as the URLconf of the tests that need a failing view: the portal
# plus one view per error.
urlpatterns = [
    path("test-errors/400/", _raises(SuspiciousOperation(DETAIL))),
    path("test-errors/403/", _raises(PermissionDenied(DETAIL))),
    path("test-errors/404/", _raises(Http404(DETAIL))),
    path("test-errors/500/", _raises(RuntimeError(DETAIL))),
    path("", include("chunan_community.urls")),
]


@pytest.fixture(params=list(LANGUAGES))
def language(request):
    return request.param


@pytest.fixture
def visitor(language):
    """A client in `language`: the English cookie, or no cookie at all for Chinese. A view
    that raises answers with its error page, as it does in production."""
    client = Client(raise_request_exception=False)
    if language == "en":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _translated(language, text):
    with translation.override(language):
        return translation.gettext(text)


def assert_error_page(response, *, status, language, title, layout=FULL_LAYOUT):
    content = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert f'<html lang="{LANGUAGES[language]}">' in content
    assert f"<h1>{_translated(language, title)}</h1>" in content
    assert f'<a href="/">{_translated(language, "Go to the home page")}</a>' in content
    assert [part for part in layout if part not in content] == []
    assert [leak for leak in LEAKS if leak in content] == []


def test_error_titles_are_translated():
    # The Chinese pages below are only Chinese if the catalogue has these titles.
    titles = ("Bad request", "Access denied", "Page not found", "Server error")
    chinese = [_translated("zh-hans", title) for title in titles]

    assert [c for c, t in zip(chinese, titles, strict=True) if c == t] == []


# ---------- 400 ----------


def test_disallowed_host_is_400(visitor, language):
    response = visitor.get("/", HTTP_HOST="portal.example.invalid")

    assert_error_page(response, status=400, language=language, title="Bad request")
    assert response["Content-Language"] == language


def test_too_many_query_parameters_is_400(visitor, language, tree):
    query = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = visitor.get(f"/communities/?{query}")

    assert_error_page(response, status=400, language=language, title="Bad request")


@pytest.mark.urls(__name__)
def test_suspicious_request_is_400(visitor, language):
    response = visitor.get("/test-errors/400/")

    assert_error_page(response, status=400, language=language, title="Bad request")


# ---------- 403 ----------


@pytest.mark.parametrize("role", ["no_role", "judge"])
def test_workspace_without_a_registry_role_is_403(visitor, language, users, role):
    visitor.force_login(users[role])

    response = visitor.get(reverse("communities:terms_due"))

    assert_error_page(response, status=403, language=language, title="Access denied")
    assert response.templates[0].name == "403.html"


@pytest.mark.urls(__name__)
def test_permission_denied_is_403(visitor, language):
    response = visitor.get("/test-errors/403/")

    assert_error_page(response, status=403, language=language, title="Access denied")


@pytest.mark.parametrize("logged_in", [False, True])
def test_csrf_failure_is_the_portals_403(language, users, logged_in):
    client = Client(enforce_csrf_checks=True)
    if language == "en":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if logged_in:
        client.force_login(users["clerk"])

    # A form posted without its token: an expired page, blocked cookies, or another site.
    response = client.post(reverse("logout"))

    assert_error_page(
        response,
        status=403,
        language=language,
        title="The form has expired",
        layout=STANDALONE_LAYOUT,
    )
    assert response.templates[0].name == "403_csrf.html"
    # The logout did not happen.
    assert client.session.get("_auth_user_id") == (str(users["clerk"].pk) if logged_in else None)


# ---------- 404 ----------


def test_unknown_address_is_404(visitor, language):
    response = visitor.get("/no-such-page/")

    assert_error_page(response, status=404, language=language, title="Page not found")


def test_clerk_on_another_communitys_page_is_404(visitor, language, users):
    # Outside one's area a page does not exist (pretalx's rule): 404, not 403.
    visitor.force_login(users["clerk"])

    response = visitor.get(reverse("communities:workspace_community", args=["far"]))

    assert_error_page(response, status=404, language=language, title="Page not found")


@pytest.mark.urls(__name__)
def test_http404_with_a_message_is_404(visitor, language):
    response = visitor.get("/test-errors/404/")

    assert_error_page(response, status=404, language=language, title="Page not found")


# ---------- 500 ----------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("logged_in", [False, True])
def test_view_raising_is_500(visitor, language, users, logged_in):
    if logged_in:
        visitor.force_login(users["county"])

    response = visitor.get("/test-errors/500/")

    assert_error_page(
        response, status=500, language=language, title="Server error", layout=STANDALONE_LAYOUT
    )
    assert response.templates[0].name == "500.html"
    assert response["Content-Language"] == language


@pytest.mark.urls(__name__)
def test_500_page_reads_nothing_from_the_database(visitor, language, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = visitor.get("/test-errors/500/")

    assert response.status_code == 500
