"""Public and staff pages of the three-tier rating (being written)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ratings.models import Round


@require_safe
def round_list(request):
    return render(request, "ratings/round_list.html", {"rounds": Round.objects.published()})


@require_safe
def round_results(request, code):
    round_ = Round.objects.published().filter(code=code).first()
    if round_ is None:
        raise Http404
    return render(request, "ratings/round_results.html", {"round": round_})
