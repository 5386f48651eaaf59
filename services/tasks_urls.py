"""Services URLs: the tasks admitted for a community, at /services/<code>/tasks/."""

from django.urls import path

from services import admission_views as views

urlpatterns = [
    path("", views.admitted_tasks, name="admitted_tasks"),
    path("print/", views.admitted_tasks_print, name="admitted_tasks_print"),
]
