"""What happens to an account is told to its owner, by e-mail:

- their password changed (by themselves, by a reset, or by county staff);
- their account disabled;
- a new account without a password (county staff create accounts so: the admin's
  "password-based authentication: disabled") gets a link to set its own password, instead of
  a password passed on by hand.

Receivers, not domain functions: accounts are changed through Django's own views and admin.
The previous password and flag are read before a save that may change them (one query; a
log-in's save of last_login, or of a password re-hashed by a newer hasher, reads nothing).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import default_token_generator
from django.db.models.signals import post_save, pre_save
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.models import Kind
from notifications.notify import email_to, notify

User = get_user_model()

WATCHED = {"password", "is_active"}


def set_password_url(user) -> str:
    """The page where `user` sets a password (Django's reset confirmation: the link works
    once, and for PASSWORD_RESET_TIMEOUT seconds)."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def send_set_password_link(user) -> bool:
    """E-mail `user` a link to set their password; False if they have no e-mail address."""
    if not user.email:
        return False
    email_to(
        user.email,
        Kind.SET_PASSWORD,
        "notifications/messages/set_password.txt",
        {"recipient": user},
        url=set_password_url(user),
        sensitive=True,
    )
    return True


def _before_save(sender, instance, update_fields=None, raw=False, **kwargs):
    instance._chunan_before = None
    if raw or instance._state.adding or not instance.pk:
        return
    if update_fields is not None and not WATCHED & set(update_fields):
        return
    if (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(instance, "_password", None) is None
    ):
        # A log-in re-hashing the same password (a newer hasher, more iterations):
        # AbstractBaseUser.check_password saves only the password and clears `_password`,
        # which set_password fills for a real change. Not a change to tell anyone about.
        return
    instance._chunan_before = (
        User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    )


def _after_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        if not instance.has_usable_password() and instance.email:
            send_set_password_link(instance)
        return
    before = getattr(instance, "_chunan_before", None)
    if not before:
        return
    if before["is_active"] and not instance.is_active:
        notify(
            Kind.ACCOUNT_DISABLED,
            [instance],
            "notifications/messages/account_disabled.txt",
            {"user": instance},
        )
    elif (
        before["password"] != instance.password
        and instance.has_usable_password()
        # A first password (set from the link a new account gets) changes nothing to warn of.
        and not before["password"].startswith(UNUSABLE_PASSWORD_PREFIX)
    ):
        notify(
            Kind.PASSWORD_CHANGED,
            [instance],
            "notifications/messages/password_changed.txt",
            {"user": instance},
            url=reverse("password_reset"),
        )


pre_save.connect(_before_save, sender=User, dispatch_uid="notifications.account_before")
post_save.connect(_after_save, sender=User, dispatch_uid="notifications.account_after")
