from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("Three-tier ratings")

    def ready(self):
        from ratings.permissions import register_policy

        register_policy()
