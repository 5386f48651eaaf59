"""Log-in and sessions: how long a session lasts, ending the sessions of a disabled account,
the page shown when log-ins are paused, and the password rule Django lacks.

Session lifetimes. A session ends after CHUNAN_SESSION_IDLE_MINUTES without a request, and
CHUNAN_SESSION_MAX_HOURS after the log-in however active it was. Both are checked here on
every request that carries a session cookie, from two times kept in the session: the log-in
and the last request. The last request is written back at most once a minute, so an active
user costs one session write a minute, not one per request. Requests without a session
cookie (anonymous visitors) are not touched: no session is created for them.

Disabled accounts. Django already refuses a session whose user is inactive or deleted (its
ModelBackend.get_user returns None). The session is also removed from the store: at once
when the account is saved inactive or deleted (every log-in is recorded in LoginSession, so
only that user's sessions are looked up), and on its next request when the flag was changed
without a save (QuerySet.update()).
"""

import datetime
import math
import time
from importlib import import_module
from urllib.parse import urlsplit

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_delete
from django.http import HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chunan_community.models import LoginSession

LOGGED_IN_AT = "_chunan_logged_in_at"
SEEN_AT = "_chunan_seen_at"
RECORDED_KEY = "_chunan_session_key"
# The last request is written to the session at most this often (seconds).
SEEN_RESOLUTION = 60


# ---------- Where a log-in lands ----------


def needs_login(url: str) -> bool:
    """Is `url` one of the portal's pages that need a log-in (not marked login_not_required)?
    An address that is no page of the portal does not."""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    return getattr(match.func, "login_required", True)


class LoginView(auth_views.LoginView):
    """Django's log-in page. Staff land on their to-do list (LOGIN_REDIRECT_URL) unless
    `next` names a page that needs a log-in: the public page they came from is not where
    they work, while a page that sent them to log in is where they wanted to go."""

    def get_success_url(self):
        url = self.get_redirect_url()
        if url and needs_login(url):
            return url
        return resolve_url(settings.LOGIN_REDIRECT_URL)


# ---------- Session lifetimes ----------


class SessionLimitsMiddleware:
    """End a session that was idle too long or is older than the absolute lifetime.

    The user is logged out and sent to the log-in page with a message; after logging in
    again a GET comes back to the page asked for. Placed after AuthenticationMiddleware and
    MessageMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            ended = self._end_if_expired(request)
            if ended is not None:
                return ended
        return self.get_response(request)

    def _end_if_expired(self, request):
        session = request.session
        if not request.user.is_authenticated:
            if SESSION_KEY in session:
                # A user's session, refused by Django: the account was disabled or deleted
                # without a save (QuerySet.update()). Remove it from the store too.
                logout(request)
            return None
        now = time.time()
        idle_minutes = settings.CHUNAN_SESSION_IDLE_MINUTES
        max_hours = settings.CHUNAN_SESSION_MAX_HOURS
        if now - session.get(LOGGED_IN_AT, 0) > max_hours * 3600:
            message = ngettext(
                "You were logged out: a session lasts at most %(hours)d hour. Please log in again.",
                "You were logged out: a session lasts at most %(hours)d hours. "
                "Please log in again.",
                max_hours,
            ) % {"hours": max_hours}
        elif now - session.get(SEEN_AT, 0) > idle_minutes * 60:
            message = ngettext(
                "You were logged out after %(minutes)d minute without activity. "
                "Please log in again.",
                "You were logged out after %(minutes)d minutes without activity. "
                "Please log in again.",
                idle_minutes,
            ) % {"minutes": idle_minutes}
        else:
            if now - session[SEEN_AT] >= SEEN_RESOLUTION:
                session[SEEN_AT] = now
            if session.get(RECORDED_KEY) != session.session_key:
                # The key was cycled while logged in (a password change): follow it.
                _record_session(session, request.user)
            return None
        logout(request)
        messages.info(request, message)
        login_url = resolve_url(settings.LOGIN_URL)
        if request.path == login_url:
            return None  # the log-in page itself: show it, with the message
        if request.method in ("GET", "HEAD"):
            return redirect_to_login(request.get_full_path(), login_url)
        return HttpResponseRedirect(login_url)


# ---------- Recording log-ins; ending a disabled account's sessions ----------
#
# Receivers, not domain functions: users are changed through Django's own UserAdmin, the
# shell and commands, and log-ins happen in Django's views; the signals are the one place
# every one of them passes.


def _record_session(session, user) -> None:
    key = session.session_key
    if not key or len(key) > LoginSession._meta.get_field("session_key").max_length:
        return  # no server-side session (signed cookies): nothing could be ended anyway
    previous = session.get(RECORDED_KEY)
    if previous and previous != key:
        LoginSession.objects.filter(session_key=previous).delete()
    LoginSession.objects.update_or_create(session_key=key, defaults={"user": user})
    session[RECORDED_KEY] = key


def _logged_in(sender, request, user, **kwargs):
    # login() has just given the session a new key (no session fixation) and saved it.
    now = time.time()
    request.session[LOGGED_IN_AT] = now
    request.session[SEEN_AT] = now
    _record_session(request.session, user)
    lapsed = timezone.now() - datetime.timedelta(hours=settings.CHUNAN_SESSION_MAX_HOURS)
    LoginSession.objects.filter(user=user, logged_in_at__lt=lapsed).delete()


def _logged_out(sender, request, user, **kwargs):
    # Sent before the session is flushed: its key is still the one recorded.
    key = request.session.session_key
    if key:
        LoginSession.objects.filter(session_key=key).delete()


def end_user_sessions(user) -> int:
    """Remove every session `user` logged in with from the session store; return how many.

    Side effects: deletes the sessions (and their LoginSession rows).
    """
    keys = list(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key in keys:
        store.delete(key)
    LoginSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def _user_saved(sender, instance, **kwargs):
    if not instance.is_active:
        end_user_sessions(instance)


def _user_deleted(sender, instance, **kwargs):
    end_user_sessions(instance)


def connect_receivers() -> None:
    """Connect the receivers above (from PortalConfig.ready())."""
    user_model = get_user_model()
    user_logged_in.connect(_logged_in, dispatch_uid="accounts.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="accounts.logged_out")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="accounts.user_saved")
    pre_delete.connect(_user_deleted, sender=user_model, dispatch_uid="accounts.user_deleted")


# ---------- Log-in throttling (django-axes) ----------


def lockout_response(request, original_response=None, credentials=None):
    """The page for a log-in refused after too many failures (AXES_LOCKOUT_CALLABLE).

    429 with Retry-After; the same page for the portal's log-in and the admin's.
    """
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": math.ceil(seconds / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


# ---------- Passwords ----------


def _character_class(c: str) -> str:
    if c.islower():
        return "lower"
    if c.isupper():
        return "upper"
    return "digit" if c.isdigit() else "other"


class CharacterClassesValidator:
    """At least `min_classes` kinds of character among lower-case letters, upper-case
    letters, digits and anything else (punctuation, spaces, Chinese characters)."""

    def __init__(self, min_classes=2):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if len({_character_class(c) for c in password}) < self.min_classes:
            raise ValidationError(
                _(
                    "This password uses too few kinds of character: mix at least %(min)d of "
                    "lower-case letters, upper-case letters, digits and other characters."
                ),
                code="password_too_uniform",
                params={"min": self.min_classes},
            )

    def get_help_text(self):
        return _(
            "Your password must mix at least %(min)d of: lower-case letters, upper-case "
            "letters, digits, other characters."
        ) % {"min": self.min_classes}
