from django.urls import path

from ratings import views

app_name = "ratings"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("<slug:code>/", views.round_results, name="round_results"),
]
