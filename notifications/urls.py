"""A person's own pages: the inbox and their settings."""

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.message, name="message"),
    path("inbox/read/", views.read_all, name="read_all"),
    path("account/", views.account, name="account"),
    path("account/notifications/", views.preferences, name="preferences"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
