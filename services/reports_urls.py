"""Services reports, at /services/reports/ in the "services" namespace.

Each report has a page, a print view and two exports: `report_<slug>`, `report_<slug>_print`,
`report_<slug>_csv`, `report_<slug>_xlsx`.
"""

from django.urls import path

from services import report_views

urlpatterns = [path("", report_views.index, name="reports")]
for slug in report_views.REPORTS:
    urlpatterns += [
        path(f"{slug}/", report_views.report_page, {"report": slug}, name=f"report_{slug}"),
        path(
            f"{slug}/print/",
            report_views.report_print,
            {"report": slug},
            name=f"report_{slug}_print",
        ),
        path(f"{slug}.csv", report_views.report_csv, {"report": slug}, name=f"report_{slug}_csv"),
        path(
            f"{slug}.xlsx", report_views.report_xlsx, {"report": slug}, name=f"report_{slug}_xlsx"
        ),
    ]
