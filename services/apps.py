from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Service networks")

    def ready(self):
        from chunan_community import worklist
        from communities import sections
        from communities.access import by_role
        from communities.returns import prefill
        from notifications import reminders
        from services.admission import KINDS_BY_ROLE
        from services.permissions import register_policy
        from services.prefill import service_figures
        from services.profile import service_networks
        from services.worklist import services_work

        register_policy()
        # The monthly return starts from what the service records already say.
        prefill.register(service_figures)
        # A community's pages show its service networks and outlets.
        sections.register(service_networks, pages=(sections.PROFILE, sections.WORKSPACE))
        # The to-do list: the admission requests waiting for a decision.
        worklist.register(services_work)
        # The message settings: admission decisions are the county's.
        reminders.register_audience(by_role(KINDS_BY_ROLE))
