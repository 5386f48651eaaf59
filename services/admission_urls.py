"""Services URLs: community admission (社区准入), at /services/admission/."""

from django.urls import path

from services import admission_views as views

urlpatterns = [
    path("", views.admission_list, name="admission_list"),
    path("new/", views.admission_new, name="admission_new"),
    path("<int:pk>/", views.admission_detail, name="admission_detail"),
    path("<int:pk>/edit/", views.admission_edit, name="admission_edit"),
    path(
        "<int:pk>/approve/",
        views.admission_decide,
        {"action": "approve"},
        name="admission_approve",
    ),
    path("<int:pk>/refuse/", views.admission_decide, {"action": "refuse"}, name="admission_refuse"),
]
