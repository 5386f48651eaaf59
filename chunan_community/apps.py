from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The project package as an app: it may import every app, so the receivers that keep
    the public pages' cache fresh are connected here rather than in each app. It also holds
    the record of log-in sessions (chunan_community.accounts)."""

    name = "chunan_community"
    verbose_name = _("Chun'an community-building portal")

    def ready(self):
        from chunan_community.accounts import connect_receivers
        from chunan_community.public_cache import connect_invalidation

        connect_invalidation()
        connect_receivers()
