from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Community registry")

    def ready(self):
        from chunan_community import worklist
        from communities.returns.worklist import returns_work
        from communities.worklist import registry_work

        # The to-do list: the monthly returns, term elections and office space.
        worklist.register(returns_work)
        worklist.register(registry_work)
