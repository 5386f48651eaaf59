from django.urls import include, path

from ratings import views

app_name = "ratings"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("", include("ratings.staff_urls")),
    path("<slug:code>/", views.round_results, name="round_results"),
]
