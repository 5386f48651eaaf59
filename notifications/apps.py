from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from django.contrib import admin
        from django_tasks_db.models import DBTaskResult

        from notifications import account_events  # noqa: F401  (connects its receivers)

        # The task queue's rows are the workers' business: county staff follow what was sent
        # on the outbox page (portal.outbox_views), which says it in their terms.
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
