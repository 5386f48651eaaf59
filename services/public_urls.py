"""Services URLs: the public commendations (表彰), at /services/commendations/."""

from django.urls import path

from services import admission_views as views

urlpatterns = [
    path("", views.commendations, name="commendations"),
    path("print/", views.commendations_print, name="commendations_print"),
    path("commendations.csv", views.commendations_csv, name="commendations_csv"),
]
