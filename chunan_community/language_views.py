"""The language switcher without CSRF: a GET that sets the language cookie and goes back.

Django's set_language (still at /i18n/setlang/) wants a POST with a CSRF token, and a token
in every page's header would keep every page out of the public cache. Switching language
changes nothing but the visitor's own cookie, so a plain link may do it.
"""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def switch_language(request, code):
    """Set the language cookie to `code` (a supported language, else 404) and redirect to
    `next` when it is a page of this site, to the home page otherwise."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
