from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service networks")

    def ready(self):
        from services.permissions import register_policy

        register_policy()
