"""Monthly returns, under /returns/. The fixed paths come before /returns/<code>/<month>/."""

from django.urls import path

from communities.returns import (
    completeness_views,
    excel_views,
    pivot_views,
    report_views,
    views,
)

app_name = "returns"
urlpatterns = [
    path("template.xlsx", excel_views.return_template, name="template"),
    path("import/", excel_views.return_import, name="import"),
    path("import/<int:pk>/", excel_views.return_import_preview, name="import_preview"),
    path("export.csv", excel_views.return_export_csv, name="export_csv"),
    path("export.xlsx", excel_views.return_export_xlsx, name="export_xlsx"),
    path("completeness/", report_views.completeness, name="completeness"),
    path(
        "completeness/print/",
        completeness_views.completeness_print,
        name="completeness_print",
    ),
    path("completeness.csv", completeness_views.completeness_csv, name="completeness_csv"),
    path("completeness.xlsx", completeness_views.completeness_xlsx, name="completeness_xlsx"),
    path("aggregates/", report_views.aggregates, name="aggregates"),
    path("aggregates/print/", report_views.aggregates_print, name="aggregates_print"),
    path("aggregates.csv", report_views.aggregates_csv, name="aggregates_csv"),
    path("aggregates.xlsx", report_views.aggregates_xlsx, name="aggregates_xlsx"),
    path("pivot/", pivot_views.pivot, name="pivot"),
    path("pivot/print/", pivot_views.pivot_print, name="pivot_print"),
    path("pivot.csv", pivot_views.pivot_csv, name="pivot_csv"),
    path("pivot.xlsx", pivot_views.pivot_xlsx, name="pivot_xlsx"),
    path("", views.returns_list, name="list"),
    path("<slug:code>/<str:month>/", views.return_detail, name="detail"),
    path("<slug:code>/<str:month>/<str:action>/", views.return_transition, name="transition"),
]
