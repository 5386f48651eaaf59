"""The pages that span the apps: the home page, the health check, the county dashboard,
each person's workplace (the to-do list and the reports' index), and the county's
announcements (通知公告)."""

from django.urls import path

from portal import announcement_views, dashboard_views, outbox_views, views, workplace_views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("manage/dashboard/", dashboard_views.county_dashboard, name="dashboard"),
    path("manage/dashboard/print/", dashboard_views.dashboard_print, name="dashboard_print"),
    path("manage/dashboard.xlsx", dashboard_views.dashboard_xlsx, name="dashboard_xlsx"),
    path("manage/dashboard.csv", dashboard_views.dashboard_csv, name="dashboard_csv"),
    path("manage/todo/", workplace_views.todo, name="todo"),
    path("manage/reports/", workplace_views.reports, name="reports"),
    path("announcements/", announcement_views.announcement_list, name="announcements"),
    path("announcements/<int:pk>/", announcement_views.announcement_detail, name="announcement"),
    path(
        "announcements/<int:pk>/file/",
        announcement_views.announcement_file,
        name="announcement_file",
    ),
    path("manage/announcements/", announcement_views.manage_list, name="manage_announcements"),
    path(
        "manage/announcements/new/",
        announcement_views.manage_new,
        name="manage_announcement_new",
    ),
    path(
        "manage/announcements/<int:pk>/edit/",
        announcement_views.manage_edit,
        name="manage_announcement_edit",
    ),
    path(
        "manage/announcements/<int:pk>/withdraw/",
        announcement_views.manage_withdraw,
        name="manage_announcement_withdraw",
    ),
    path("manage/outbox/", outbox_views.outbox_list, name="outbox"),
    path("manage/outbox/<int:pk>/", outbox_views.outbox_detail, name="outbox_detail"),
    path("manage/outbox/<int:pk>/retry/", outbox_views.outbox_retry, name="outbox_retry"),
]
