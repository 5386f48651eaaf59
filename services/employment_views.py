"""Re-employment and social security pages: training classes, processing work (来料加工),
monthly re-employment outcomes.

No personal data here: a community's keepers (its clerk, its township, the county) view
and record them; `services_community` decides, as on every services page.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from chunan_community.errors import add_domain_errors
from chunan_community.months import month_start
from chunan_community.paging import Pager, pager, paginate
from services import employment_domain as domain
from services import employment_queries as queries
from services.employment_forms import (
    ProcessingProjectForm,
    ReemploymentOutcomeForm,
    TrainingClassForm,
    YearForm,
)
from services.models import ProcessingProject, ReemploymentOutcome, TrainingClass
from services.permissions import may_add, may_change, services_community, services_record


def _pager(request, rows, param: str, anchor: str) -> Pager:
    """One of the page's lists, paged with its own parameter."""
    return pager(request, paginate(request, rows, param), param, anchor)


@dataclass(frozen=True)
class RecordKind:
    """What the add and edit pages of one kind of record need."""

    model: Any
    form_class: Any
    save: Any
    instance_arg: str
    anchor: str
    add_title: str
    edit_title: str
    saved: str
    initial: Any = None


def _processing_initial():
    return {"year": timezone.localdate().year}


def _outcome_initial():
    return {"month": month_start(timezone.localdate())}


KINDS = {
    "training": RecordKind(
        model=TrainingClass,
        form_class=TrainingClassForm,
        save=domain.training_class_save,
        instance_arg="training_class",
        anchor="training",
        add_title=_("Add a training class"),
        edit_title=_("Edit the training class"),
        saved=_("The training class was saved."),
    ),
    "processing": RecordKind(
        model=ProcessingProject,
        form_class=ProcessingProjectForm,
        save=domain.processing_project_save,
        instance_arg="project",
        anchor="processing",
        add_title=_("Add a processing-work project"),
        edit_title=_("Edit the processing-work project"),
        saved=_("The processing-work project was saved."),
        initial=_processing_initial,
    ),
    "outcome": RecordKind(
        model=ReemploymentOutcome,
        form_class=ReemploymentOutcomeForm,
        save=domain.reemployment_outcome_save,
        instance_arg="outcome",
        anchor="outcomes",
        add_title=_("Record a month's re-employment"),
        edit_title=_("Edit a month's re-employment"),
        saved=_("The month's re-employment was saved."),
        initial=_outcome_initial,
    ),
}


@login_required
@require_safe
def employment(request, code):
    """The community's training classes, processing work and monthly outcomes, each paged
    on its own, for one year or all, with totals per year."""
    community = services_community(request, code)
    year_form = YearForm(request.GET, years=queries.years_recorded(community))
    valid = year_form.is_valid()
    year = year_form.cleaned_data["year"] if valid else None

    def rows(query):
        found = query(community, year)
        return found if valid else found.none()

    training = _pager(request, rows(queries.training_classes), "training_page", "training")
    for training_class in training.page:
        training_class.rate = queries.completion_rate(
            training_class.completions, training_class.trainees
        )
    user = request.user
    return render(
        request,
        "services/employment.html",
        {
            "community": community,
            "year_form": year_form,
            "year": year,
            "training": training,
            "processing": _pager(
                request, rows(queries.processing_projects), "processing_page", "processing"
            ),
            "outcomes": _pager(
                request, rows(queries.reemployment_outcomes), "outcome_page", "outcomes"
            ),
            "training_totals": queries.training_totals(community, year) if valid else [],
            "processing_totals": queries.processing_totals(community, year) if valid else [],
            "outcome_totals": queries.outcome_totals(community, year) if valid else [],
            "may_add": {kind: may_add(user, spec.model) for kind, spec in KINDS.items()},
            "may_change": {kind: may_change(user, spec.model) for kind, spec in KINDS.items()},
        },
    )


def _record_form(request, community, kind: str, instance):
    spec = KINDS[kind]
    creating = instance.pk is None
    if request.method == "POST":
        form = spec.form_class(request.POST)
        if form.is_valid():
            try:
                spec.save(**{spec.instance_arg: instance}, **form.cleaned_data)
            except ValidationError as error:
                add_domain_errors(form, error)
            else:
                messages.success(request, spec.saved)
                url = reverse("services:employment", kwargs={"code": community.code})
                return redirect(f"{url}#{spec.anchor}")
    elif creating:
        form = spec.form_class(initial=spec.initial() if spec.initial else None)
    else:
        form = spec.form_class(initial=spec.form_class.initial_for(instance))
    return render(
        request,
        "services/employment_form.html",
        {
            "community": community,
            "form": form,
            "title": spec.add_title if creating else spec.edit_title,
            "anchor": spec.anchor,
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def record_add(request, code, kind):
    community = services_community(request, code, model=KINDS[kind].model, write=True)
    return _record_form(request, community, kind, KINDS[kind].model(community=community))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def record_edit(request, code, kind, pk):
    community = services_community(request, code)
    instance = services_record(request, KINDS[kind].model, community=community, pk=pk, write=True)
    return _record_form(request, community, kind, instance)
