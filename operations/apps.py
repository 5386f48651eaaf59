from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The operations tooling: demo loading, synthetic scale data, the benchmark, backup and
    restore. It sits above the apps (it imports them; none imports it) and has no models."""

    name = "operations"
    verbose_name = _("Operations")
