"""Staff and judging pages of the rating rounds, included inside the "ratings" namespace."""

from django.urls import path

from ratings import staff_views as views

urlpatterns = [
    path("manage/", views.staff_round_list, name="staff_round_list"),
    path("manage/<slug:code>/", views.staff_round_detail, name="staff_round_detail"),
    path("manage/<slug:code>/advance/", views.staff_round_advance, name="staff_round_advance"),
    path("manage/<slug:code>/judges/", views.staff_judge_assign, name="staff_judge_assign"),
    path(
        "manage/<slug:code>/conflicts/",
        views.staff_conflict_declare,
        name="staff_conflict_declare",
    ),
    path("manage/<slug:code>/ranking/", views.staff_ranking, name="staff_ranking"),
    path("manage/<slug:code>/confirm/", views.staff_round_confirm, name="staff_round_confirm"),
    path(
        "manage/<slug:code>/ratings/<slug:community>/revoke/",
        views.staff_rating_revoke,
        name="staff_rating_revoke",
    ),
    path(
        "manage/<slug:code>/export/scores.xlsx",
        views.staff_export_scores,
        name="staff_export_scores",
    ),
    path(
        "manage/<slug:code>/export/results.xlsx",
        views.staff_export_results,
        name="staff_export_results",
    ),
    path("manage/<slug:code>/declare/", views.declaration_own, name="declaration_own"),
    path(
        "manage/<slug:code>/declare/<slug:community>/",
        views.declaration_edit,
        name="declaration_edit",
    ),
    path("judging/<slug:code>/", views.judging_list, name="judging_list"),
    # Before the community pattern: "progress" and "close" are not community codes.
    path("judging/<slug:code>/progress/", views.judging_progress, name="judging_progress"),
    path("judging/<slug:code>/close/", views.judging_close, name="judging_close"),
    path("judging/<slug:code>/<slug:community>/", views.judging_sheet, name="judging_sheet"),
]
