from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Community registry")

    def ready(self):
        from chunan_community import worklist
        from communities.access import by_role
        from communities.reminders import KINDS_BY_ROLE, term_reminders
        from communities.returns.reminders import owed_return_reminders, waiting_return_reminders
        from communities.returns.worklist import returns_work
        from communities.worklist import registry_work
        from notifications import reminders

        # The to-do list: the monthly returns, term elections and office space.
        worklist.register(returns_work)
        worklist.register(registry_work)
        # The daily reminders: returns due, overdue and waiting for review; terms ending.
        reminders.register(owed_return_reminders)
        reminders.register(waiting_return_reminders)
        reminders.register(term_reminders)
        reminders.register_audience(by_role(KINDS_BY_ROLE))
