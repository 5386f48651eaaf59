"""The pages that span the apps: the home page, the health check and the county dashboard."""

from django.urls import path

from portal import dashboard_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("manage/dashboard/", dashboard_views.county_dashboard, name="dashboard"),
]
