from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The project package as an app: it may import every app, so the receivers that keep
    the public pages' cache fresh are connected here rather than in each app. It also holds
    the record of log-in sessions (chunan_community.accounts) and keeps the SQLite database's
    files private (chunan_community.database_files)."""

    name = "chunan_community"
    verbose_name = _("Chun'an community-building portal")

    def ready(self):
        from chunan_community import accounts, database_files
        from chunan_community.public_cache import connect_invalidation

        connect_invalidation()
        accounts.connect_receivers()
        database_files.connect_receivers()


class PortalAdminConfig(AdminConfig):
    """django.contrib.admin with the portal's site (its "view on site" shortcut scoped)."""

    default_site = "chunan_community.admin_site.PortalAdminSite"
