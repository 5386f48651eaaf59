"""Services URLs: volunteers, sessions of service, the time bank and the contribution
points card, under /services/<code>/volunteers/."""

from django.urls import path

from services import volunteer_views as views

urlpatterns = [
    path("", views.volunteer_list, name="volunteer_list"),
    path("new/", views.volunteer_create, name="volunteer_create"),
    path("sessions/", views.sessions_bulk, name="volunteer_sessions_bulk"),
    path("<int:pk>/", views.volunteer_detail, name="volunteer_detail"),
    path("<int:pk>/edit/", views.volunteer_edit, name="volunteer_edit"),
    path("<int:pk>/session/", views.session_record, name="volunteer_session"),
    path("<int:pk>/draw/", views.time_bank_withdraw, name="volunteer_draw"),
    path("<int:pk>/statement/print/", views.statement_print, name="volunteer_statement_print"),
    path("<int:pk>/statement.xlsx", views.statement_xlsx, name="volunteer_statement_xlsx"),
    path("<int:pk>/points/", views.points_card, name="volunteer_points"),
]
