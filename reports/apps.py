from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The reports the county publishes (统计信息): the yearly report on community building,
    the statistics bulletin and the timeliness circulars, built from every app's records and
    published as frozen snapshots."""

    name = "reports"
    verbose_name = _("Published reports")

    def ready(self):
        from reports.live import connect_invalidation

        # A live report is kept while the records it reads are unchanged.
        connect_invalidation()
