from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("Three-tier ratings")

    def ready(self):
        from chunan_community import worklist
        from communities import sections
        from communities.access import by_role
        from notifications import reminders
        from ratings.permissions import register_policy
        from ratings.queries import profile_ratings
        from ratings.reminders import KINDS_BY_ROLE, declaration_deadline, scoring_deadline
        from ratings.worklist import ratings_work

        register_policy()
        # The public profile shows the community's ratings from published rounds.
        sections.register(profile_ratings, pages=(sections.PROFILE,))
        # The to-do list: declarations, score sheets, stage moves and opinions.
        worklist.register(ratings_work)
        # The daily reminders: the declaration and scoring deadlines.
        reminders.register(declaration_deadline)
        reminders.register(scoring_deadline)
        reminders.register_audience(by_role(KINDS_BY_ROLE))
