from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalPagesConfig(AppConfig):
    """The roof's pages as an app (label `portal`): they span the apps, and hold the one model
    of their own, the county's announcements (通知公告). Not to be confused with
    chunan_community.apps.PortalConfig, the project package's app."""

    name = "portal"
    verbose_name = _("Portal pages")

    def ready(self):
        from portal.announcements import publish_declaration_call
        from ratings.signals import round_moved

        # A round's call for declarations is an announcement: ratings says when a round
        # moves, the portal publishes the call (ratings may not import the portal).
        round_moved.connect(publish_declaration_call, dispatch_uid="portal.declaration_call")
