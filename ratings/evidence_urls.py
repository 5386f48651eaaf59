"""Evidence files of declarations, included inside the "ratings" namespace."""

from django.urls import path

from ratings import evidence_views as views

urlpatterns = [
    path("evidence/add/<int:declaration>/", views.evidence_add, name="evidence_add"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path("evidence/<int:pk>/thumbnail/", views.evidence_thumbnail, name="evidence_thumbnail"),
    path("evidence/<int:pk>/remove/", views.evidence_remove, name="evidence_remove"),
]
