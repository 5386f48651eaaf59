from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginSession(models.Model):
    """A session someone logged in with (chunan_community.accounts).

    Kept so that disabling an account ends exactly that user's sessions, whatever the
    session engine, without decoding every session in the store. A row lives from the
    log-in to the log-out (or the account being disabled); rows of sessions that simply
    lapsed are dropped at the user's next log-in once older than the absolute lifetime.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    logged_in_at = models.DateTimeField(_("logged in at"), default=timezone.now)

    class Meta:
        verbose_name = _("log-in session")
        verbose_name_plural = _("log-in sessions")
        ordering = ["-logged_in_at"]

    def __str__(self):
        return f"{self.user_id} @ {self.logged_in_at:%Y-%m-%d %H:%M}"
