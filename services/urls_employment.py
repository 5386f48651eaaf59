"""Services URLs: employment (placeholder until its part lands)."""

from django.http import Http404
from django.urls import path


def _placeholder(request, **kwargs):
    raise Http404


urlpatterns = [
    path("", _placeholder, name="employment"),
]
