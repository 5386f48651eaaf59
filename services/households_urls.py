"""Paired assistance (结对帮困) of a community: /services/<code>/households/…"""

from django.urls import path

from services import households_views as views

urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("add/", views.household_add, name="household_add"),
    path("visits/", views.visit_list, name="visit_list"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/helpers/", views.helper_add, name="helper_add"),
    path("<int:pk>/helpers/<int:pairing_pk>/end/", views.helper_end, name="helper_end"),
    path("<int:pk>/visits/add/", views.visit_add, name="visit_add"),
]
