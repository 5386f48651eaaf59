from django.urls import include, path

from ratings import views

app_name = "ratings"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    # Fixed paths (manage/, judging/, evidence/, …) come before the round codes.
    path("", include("ratings.staff_urls")),
    path("", include("ratings.evidence_urls")),
    path("", include("ratings.notice_urls")),
    path("<slug:code>/", views.round_results, name="round_results"),
]
