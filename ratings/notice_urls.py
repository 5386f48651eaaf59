"""The public notice of a round: the opinion form, the printable notice, and moderation.
Included inside the "ratings" namespace, before the round-code route."""

from django.urls import path

from ratings import notice_views as views

urlpatterns = [
    path("<slug:code>/objections/", views.objection_submit_view, name="objection_submit"),
    path("<slug:code>/notice/", views.round_notice, name="round_notice"),
    path("manage/<slug:code>/objections/", views.objection_list, name="objection_list"),
    path(
        "manage/<slug:code>/objections/<int:pk>/",
        views.objection_moderate_view,
        name="objection_moderate",
    ),
]
