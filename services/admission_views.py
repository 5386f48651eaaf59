"""Community admission (社区准入), the tasks admitted for each community, and the public
commendations (表彰).

Admission requests are county-level records: every registry keeper (county, township,
clerk) reads them; only county staff record, correct and decide them, and only through
`services.admission`. A community's admitted tasks are for its keepers
(`services_community`). Commendations are published: anyone reads them, and the CSV holds
only the published fields.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chunan_community.errors import Refused, error_summary
from chunan_community.paging import paginate
from chunan_community.public_cache import public_page
from chunan_community.spreadsheets import csv_response
from services import admission
from services.admission_forms import (
    AdmissionFilter,
    AdmissionRequestForm,
    CommendationFilter,
    DecisionForm,
)
from services.models import AdmissionRequest, Commendation
from services.permissions import may_add, may_change, services_community, services_staff

DECISIONS = {
    "approve": (admission.admission_approve, False),
    "refuse": (admission.admission_refuse, True),
}


def _get_request(pk) -> AdmissionRequest:
    return get_object_or_404(AdmissionRequest.objects.select_related("decided_by"), pk=pk)


# ---------- Admission requests ----------


@login_required
@require_safe
def admission_list(request):
    """Every request, newest first, filtered by status, department and year."""
    services_staff(request)
    queryset = AdmissionRequest.objects.annotate(community_count=Count("communities")).order_by(
        F("received_on").desc(nulls_last=True), "-submitted_at", "-id"
    )
    filterset = AdmissionFilter(request.GET, queryset=queryset)
    return render(
        request,
        "services/admission/list.html",
        {
            "filter": filterset,
            "page": paginate(request, filterset.qs),
            "may_add": may_add(request.user, AdmissionRequest),
        },
    )


def _render_detail(request, admission_request, *, bound=None, status=200):
    changeable = may_change(request.user, AdmissionRequest)
    refusal = admission.edit_refusal(admission_request)
    may_decide = changeable and refusal is None
    decisions = []
    if may_decide:
        for name, (_function, required) in DECISIONS.items():
            form = bound if bound is not None and bound.prefix == name else None
            decisions.append(
                {"name": name, "form": form or DecisionForm(required=required, prefix=name)}
            )
    communities = admission_request.communities.select_related("township").order_by(
        "township__sort_order", "township__code", "code"
    )
    return render(
        request,
        "services/admission/detail.html",
        {
            "item": admission_request,
            "communities": communities,
            "decisions": decisions,
            "may_change": changeable,
            "refusal": refusal,
            "error_summary": error_summary(bound) if bound is not None else [],
        },
        status=status,
    )


@login_required
@require_safe
def admission_detail(request, pk):
    """One request: what the task is, what follows it, its communities and its decision;
    county staff approve or refuse it here while it is submitted."""
    services_staff(request)
    return _render_detail(request, _get_request(pk))


@login_required
@require_POST
def admission_decide(request, pk, action):
    """Approve or refuse a submitted request; the domain refuses a second decision."""
    services_staff(request, model=AdmissionRequest, write=True)
    admission_request = _get_request(pk)
    if action not in DECISIONS:
        raise Http404
    function, required = DECISIONS[action]
    if admission.edit_refusal(admission_request):
        messages.error(request, admission.edit_refusal(admission_request))
        return redirect("services:admission_detail", pk=admission_request.pk)
    form = DecisionForm(request.POST, required=required, prefix=action)
    if not form.is_valid():
        # The reason typed so far (if any) is kept in the re-shown form.
        return _render_detail(request, admission_request, bound=form, status=400)
    try:
        decided = function(
            admission_request=admission_request, by=request.user, **form.cleaned_data
        )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        if action == "approve":
            messages.success(request, _("Approved: the task is admitted to its communities."))
        else:
            messages.success(request, _("Refused, with your reason."))
        if decided.contact_email:
            messages.info(
                request,
                _("The decision is e-mailed to the department at %(address)s.")
                % {"address": decided.contact_email},
            )
    return redirect("services:admission_detail", pk=admission_request.pk)


def _form_page(request, form, *, item=None, refusal=None, status=200):
    return render(
        request,
        "services/admission/form.html",
        {
            "form": form,
            "item": item,
            "refusal": refusal,
            "error_summary": error_summary(form) if form.is_bound else [],
        },
        status=status,
    )


def _save(request, form, save, *, item=None):
    """Validate and save through the domain; on any refusal the form comes back whole."""
    if not form.is_valid():
        return _form_page(request, form, item=item, status=400)
    try:
        saved = save(**form.domain_kwargs(), by=request.user)
    except ValidationError as invalid:
        form.add_error(None, invalid)
        return _form_page(request, form, item=item, status=400)
    except Refused as refused:
        return _form_page(request, form, item=item, refusal=str(refused), status=409)
    return saved


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def admission_new(request):
    """Record a department's request (county staff)."""
    services_staff(request, model=AdmissionRequest, write=True)
    if request.method != "POST":
        return _form_page(request, AdmissionRequestForm())
    result = _save(request, AdmissionRequestForm(request.POST), admission.admission_submit)
    if isinstance(result, HttpResponse):
        return result
    messages.success(request, _("The request was recorded. Approve or refuse it below."))
    return redirect("services:admission_detail", pk=result.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def admission_edit(request, pk):
    """Correct a submitted request (county staff); a decided one cannot change."""
    services_staff(request, model=AdmissionRequest, write=True)
    admission_request = _get_request(pk)
    refusal = admission.edit_refusal(admission_request)
    if refusal and request.method != "POST":
        messages.error(request, refusal)
        return redirect("services:admission_detail", pk=admission_request.pk)
    if request.method != "POST":
        form = AdmissionRequestForm(initial=AdmissionRequestForm.initial_for(admission_request))
        return _form_page(request, form, item=admission_request)
    form = AdmissionRequestForm(request.POST)
    if refusal:
        # Decided since the form was opened: nothing is saved, what was typed is shown.
        form.is_valid()
        return _form_page(request, form, item=admission_request, refusal=refusal, status=409)

    def update(**kwargs):
        return admission.admission_update(admission_request=admission_request, **kwargs)

    result = _save(request, form, update, item=admission_request)
    if isinstance(result, HttpResponse):
        return result
    messages.success(request, _("The request was saved."))
    return redirect("services:admission_detail", pk=result.pk)


# ---------- A community's admitted tasks ----------


def _tasks_context(request, code):
    community = services_community(request, code)
    tasks = admission.admitted_tasks_for(community)
    return community, tasks


@login_required
@require_safe
def admitted_tasks(request, code):
    """The approved requests admitted for this community, with what follows each task."""
    community, tasks = _tasks_context(request, code)
    return render(
        request,
        "services/admission/tasks.html",
        {"community": community, "page": paginate(request, tasks), "printing": False},
    )


@login_required
@require_safe
def admitted_tasks_print(request, code):
    """All the community's admitted tasks on one printable page."""
    community, tasks = _tasks_context(request, code)
    return render(
        request,
        "services/admission/tasks.html",
        {
            "community": community,
            "tasks": tasks,
            "printing": True,
            "printed_on": timezone.localdate(),
        },
    )


# ---------- Commendations (public) ----------


def _commendations(request):
    queryset = Commendation.objects.select_related("community").order_by(
        "-year", "kind", "name", "id"
    )
    return CommendationFilter(request.GET, queryset=queryset)


def _grouped(rows):
    """Rows (ordered by year, then kind) as [{"year", "kinds": [{"kind", "label", "rows"}]}]."""
    years = []
    labels = dict(Commendation.Kind.choices)
    for row in rows:
        if not years or years[-1]["year"] != row.year:
            years.append({"year": row.year, "kinds": []})
        kinds = years[-1]["kinds"]
        if not kinds or kinds[-1]["kind"] != row.kind:
            kinds.append({"kind": row.kind, "label": labels.get(row.kind, row.kind), "rows": []})
        kinds[-1]["rows"].append(row)
    return years


@require_safe
@public_page
def commendations(request):
    """The advanced collectives and individuals commended, by year (newest first), then kind."""
    filterset = _commendations(request)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "services/commendations/list.html",
        {"filter": filterset, "page": page, "years": _grouped(page.object_list)},
    )


@login_not_required
@require_safe
def commendations_print(request):
    """Every commendation matching the filters on one printable page."""
    filterset = _commendations(request)
    return render(
        request,
        "services/commendations/print.html",
        {"filter": filterset, "years": _grouped(filterset.qs), "printed_on": timezone.localdate()},
    )


@login_not_required
@require_safe
def commendations_csv(request):
    """The published fields only: name, title, year, kind, community."""
    filterset = _commendations(request)
    labels = dict(Commendation.Kind.choices)
    header = [_("Name"), _("Title"), _("Year"), _("Kind"), _("Community")]
    lines = [
        [
            row.name,
            row.title,
            row.year,
            str(labels.get(row.kind, row.kind)),
            row.community.local_name if row.community else "",
        ]
        for row in filterset.qs
    ]
    return csv_response("commendations.csv", [header, *lines])
