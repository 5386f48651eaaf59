"""Re-employment and social security of a community: /services/<code>/employment/…"""

from django.urls import path

from services import employment_views as views

TRAINING = {"kind": "training"}
PROCESSING = {"kind": "processing"}
OUTCOME = {"kind": "outcome"}

urlpatterns = [
    path("", views.employment, name="employment"),
    path("training/add/", views.record_add, TRAINING, name="training_add"),
    path("training/<int:pk>/edit/", views.record_edit, TRAINING, name="training_edit"),
    path("processing/add/", views.record_add, PROCESSING, name="processing_add"),
    path("processing/<int:pk>/edit/", views.record_edit, PROCESSING, name="processing_edit"),
    path("outcomes/add/", views.record_add, OUTCOME, name="outcome_add"),
    path("outcomes/<int:pk>/edit/", views.record_edit, OUTCOME, name="outcome_edit"),
]
