"""The pages that span the apps: the home page, the health check, the county dashboard, and
each person's workplace (the to-do list and the reports' index)."""

from django.urls import path

from portal import dashboard_views, views, workplace_views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("manage/dashboard/", dashboard_views.county_dashboard, name="dashboard"),
    path("manage/todo/", workplace_views.todo, name="todo"),
    path("manage/reports/", workplace_views.reports, name="reports"),
]
