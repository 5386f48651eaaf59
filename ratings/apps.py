from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("Three-tier ratings")

    def ready(self):
        from communities import sections
        from ratings.permissions import register_policy
        from ratings.queries import profile_ratings

        register_policy()
        # The public profile shows the community's ratings from published rounds.
        sections.register(profile_ratings, pages=(sections.PROFILE,))
