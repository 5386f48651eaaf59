"""Monthly returns: the list of months or returns, the entry and review page, workflow steps.

Views stay thin: who sees which return is `get_return_for_user`, what may change is
`domain.edit_refusal` / `domain.available_transitions`, and every write is a domain call.
"""

from decimal import Decimal, InvalidOperation

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chunan_community.errors import Refused, error_summary
from chunan_community.months import add_months, month_name, month_start, months_back
from chunan_community.paging import paginate
from communities.access import CLERK
from communities.forms import CommunityField
from communities.models import Community, MonthlyReturn, ReturnEvent, ReturnStatus, Township
from communities.permissions import get_return_for_user, staff_access
from communities.returns import domain
from communities.returns.checks import closes_on, due_on, open_for_entry
from communities.returns.forms import (
    MonthField,
    ReturnForm,
    ReturnReasonForm,
    comment_field_name,
    value_field_name,
)
from communities.returns.models import EDITABLE, return_url
from communities.returns.prefill import prefill_for
from communities.returns.queries import entry_context, returns_for, stored_values, value_changes

CLERK_MONTHS = 12
# What each level reviews: the township approves submitted returns, the county accepts
# approved ones.
ACTIONS = {
    "approve": (domain.return_approve, False),
    "send_back": (domain.return_send_back, True),
    "accept": (domain.return_accept, False),
    "reopen": (domain.return_reopen, True),
}
ACTION_TEXT = {
    "approve": (gettext_lazy("Approve"), None),
    "send_back": (
        gettext_lazy("Send back to the community"),
        gettext_lazy("Reason for sending it back (the community sees it)"),
    ),
    "accept": (gettext_lazy("Accept and lock"), None),
    "reopen": (
        gettext_lazy("Reopen for the community"),
        gettext_lazy("Reason for reopening (the community sees it)"),
    ),
}


# ---------- Lists ----------


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class CommunityFilter(django_filters.Filter):
    field_class = CommunityField


class ReturnFilter(django_filters.FilterSet):
    month = MonthFilter(field_name="period", label=gettext_lazy("Month"))
    township = django_filters.ModelChoiceFilter(
        field_name="community__township",
        label=gettext_lazy("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        empty_label=gettext_lazy("All townships"),
    )
    # A select up to forms.SELECT_MAX communities in scope, a search by code or name beyond.
    community = CommunityFilter(
        label=gettext_lazy("Community"),
        method="filter_community",
        empty_label=gettext_lazy("All communities"),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=ReturnStatus.choices,
        empty_label=gettext_lazy("All statuses"),
    )

    def __init__(self, data=None, *, access, user, **kwargs):
        super().__init__(data, **kwargs)
        if not access.is_county:
            del self.filters["township"]
        self.communities = Community.objects.visible_to(user)

    def filter_community(self, queryset, name, communities):
        return queryset.filter(community__in=communities)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            form.fields["community"].set_scope(self.communities)
            if "township" in form.fields:
                form.fields["township"].label_from_instance = lambda obj: obj.local_name
        return self._form


def _clerk_months(request, access, today):
    """The clerk's months: the last twelve and any older return, newest first."""
    community = Community.objects.get(pk=access.community_id)
    saved = {r.period: r for r in MonthlyReturn.objects.filter(community=community)}
    periods = sorted(set(months_back(month_start(today), CLERK_MONTHS)) | set(saved), reverse=True)
    rows = []
    for period in periods:
        monthly_return = saved.get(period)
        status = monthly_return.status if monthly_return else None
        due = due_on(period)
        closing = closes_on(period, monthly_return.open_until if monthly_return else None)
        editable = status in (None, *EDITABLE)
        rows.append(
            {
                "period": period,
                "return": monthly_return,
                "status_label": monthly_return.get_status_display()
                if monthly_return
                else _("Not started"),
                "status": status or "not_started",
                "due": due,
                "closes": closing,
                "late": bool(monthly_return and monthly_return.is_late),
                "overdue": editable and today > due,
                "todo": open_for_entry(monthly_return, period, today),
                "url": return_url(community.code, period),
            }
        )
    page = paginate(request, rows)
    return {"community": community, "page": page}


def _review_list(request, access):
    queryset = returns_for(request.user)
    filterset = ReturnFilter(request.GET, access=access, user=request.user, queryset=queryset)
    page = paginate(request, filterset.qs)
    to_review = domain.TO_REVIEW[access.role]
    return {
        "filter": filterset,
        "page": page,
        "to_review": to_review,
        "to_review_label": ReturnStatus(to_review).label,
        "to_review_count": queryset.filter(status=to_review).count(),
    }


@login_required
@require_safe
def returns_list(request):
    """A clerk's months with their status; the returns to review for township and county."""
    access = staff_access(request.user)
    today = timezone.localdate()
    if access.role == CLERK:
        context = {"mode": "clerk", **_clerk_months(request, access, today)}
    else:
        context = {"mode": "review", **_review_list(request, access)}
    return render(request, "returns/return_list.html", {"today": today, **context})


# ---------- One return ----------


def _as_text(value, indicator) -> str:
    if value is None:
        return ""
    if indicator.value_type == indicator.ValueType.INTEGER:
        return str(int(value))
    return format(value, "f")


def _stored_data(monthly_return, indicators, stored=None) -> dict:
    """The saved figures as form data, so the page shows (and checks) what is stored."""
    if stored is None:
        stored = stored_values(monthly_return)
    data = {"version": str(monthly_return.version)}
    for indicator in indicators:
        value, comment = stored.get(indicator.pk, (None, ""))
        data[value_field_name(indicator)] = _as_text(value, indicator)
        data[comment_field_name(indicator)] = comment
    return data


def _saved_form(monthly_return, context, stored, records) -> ReturnForm:
    """The form as stored: bound and checked as a draft, so that warnings show on reload.

    A figure not stored yet starts from what the service records say (`records`): the
    initial value of a new return's field, the filling of a stored return's blank. Nothing
    is saved until the clerk saves, which confirms them.
    """
    from_records = {
        value_field_name(indicator): _as_text(records[indicator.code], indicator)
        for indicator in context["indicators"]
        if indicator.code in records
    }
    if monthly_return.pk is None:
        return ReturnForm(initial={"version": 0, **from_records}, **context)
    data = _stored_data(monthly_return, context["indicators"], stored)
    for name, text in from_records.items():
        if not data.get(name):
            data[name] = text
    form = ReturnForm(data, **context)
    form.is_valid()
    return form


def _as_decimal(value):
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _records_notes(form, stored, records) -> dict:
    """Value field name → (the records' figure, whether the field holds it unconfirmed).

    Unconfirmed: the field shows the records' figure and nothing is stored yet. A field
    that differs from the records gets the figure as a hint; one that stores it, no note.
    """
    notes = {}
    for indicator in form.indicators:
        figure = records.get(indicator.code)
        if figure is None:
            continue
        name = value_field_name(indicator)
        value = form[name].value()
        current = None if value in (None, "") else _as_decimal(value)
        stored_value = stored.get(indicator.pk, (None, ""))[0]
        if current != figure:
            notes[name] = (figure, False)
        elif stored_value is None:
            notes[name] = (figure, True)
    return notes


def _groups(form, saved=None, notes=None):
    """The form's rows grouped by indicator group, with the saved value on a conflict and
    what the service records say (`notes`, from _records_notes)."""
    notes = notes or {}
    groups = []
    for row in form.rows(noted=notes.keys()):
        group = row["indicator"].group
        if not groups or groups[-1]["group"] != group:
            groups.append({"group": group, "rows": []})
        if saved is not None:
            row["saved"] = saved.get(row["field"].name, "")
            row["differs"] = row["saved"] != (row["field"].value() or "")
        row["records"], row["from_records"] = notes.get(row["field"].name, (None, False))
        groups[-1]["rows"].append(row)
    return groups


def _transitions(user, monthly_return, bound=None):
    """The workflow steps this user may take now, each with its (reason) form."""
    steps = []
    for name in domain.available_transitions(user, monthly_return):
        _function, needs_reason = ACTIONS[name]
        button, reason_label = ACTION_TEXT[name]
        form = None
        if needs_reason:
            if bound is not None and bound.prefix == name:
                form = bound
            else:
                form = ReturnReasonForm(reason_required=True, label=reason_label, prefix=name)
        steps.append(
            {
                "name": name,
                "button": button,
                "form": form,
                "url": reverse(
                    "returns:transition",
                    kwargs={
                        "code": monthly_return.community.code,
                        "month": f"{monthly_return.period:%Y-%m}",
                        "action": name,
                    },
                ),
            }
        )
    return steps


def _events(monthly_return):
    if monthly_return.pk is None:
        return []
    return list(ReturnEvent.objects.filter(monthly_return=monthly_return).select_related("by"))


def _render_detail(
    request,
    community,
    period,
    monthly_return,
    *,
    context,
    form=None,
    refusal=None,
    conflict=None,
    unsaved=False,
    reason_form=None,
    status=200,
):
    today = timezone.localdate()
    if refusal is None:
        refusal = domain.edit_refusal(request.user, monthly_return)
    editable = refusal is None
    # What the service records say, offered only where the figures can still change.
    records = (
        prefill_for(community, period, codes=[i.code for i in context["indicators"]])
        if editable
        else {}
    )
    stored = stored_values(monthly_return) if form is None or records else {}
    if form is None:
        form = _saved_form(monthly_return, context, stored, records)
    notes = _records_notes(form, stored, records) if editable else {}
    events = _events(monthly_return)
    sent_back = [e for e in events if e.action == ReturnEvent.Action.RETURNED]
    previous_period = add_months(period, -1)
    next_period = add_months(period, 1)
    return render(
        request,
        "returns/return_detail.html",
        {
            "community": community,
            "period": period,
            "return": monthly_return,
            "status_label": monthly_return.get_status_display()
            if monthly_return.pk
            else _("Not started"),
            "due": due_on(period),
            "closes": closes_on(period, monthly_return.open_until),
            "form": form,
            "groups": _groups(form, conflict, notes),
            "conflict": conflict is not None,
            "error_summary": error_summary(form) if form.is_bound and editable else [],
            # A refused workflow step (a send-back without its reason): at the top as well.
            "step_errors": error_summary(reason_form)
            if reason_form is not None and reason_form.errors
            else [],
            "editable": editable,
            "from_records": any(unconfirmed for _figure, unconfirmed in notes.values()),
            "refusal": refusal,
            "unsaved": unsaved,
            "transitions": _transitions(request.user, monthly_return, reason_form)
            if monthly_return.pk
            else [],
            "events": events,
            "sent_back": sent_back[-1]
            if sent_back and monthly_return.status == ReturnStatus.RETURNED
            else None,
            "changes": value_changes(monthly_return),
            "previous_url": return_url(community.code, previous_period),
            "previous_label": month_name(previous_period),
            "next_url": return_url(community.code, next_period)
            if next_period <= month_start(today)
            else None,
            "next_label": month_name(next_period),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def return_detail(request, code, month):
    """A community's month: the entry form (or the figures read-only, saying why), the
    workflow steps open to this user, the events and the audit of every value change."""
    community, period, monthly_return = get_return_for_user(request.user, code, month)
    context = entry_context(community, period)
    if request.method != "POST":
        return _render_detail(request, community, period, monthly_return, context=context)

    action = request.POST.get("action")
    submitting = action == "submit"
    form = ReturnForm(request.POST, submitting=submitting, **context)
    refusal = domain.edit_refusal(request.user, monthly_return)
    if refusal:
        # Nothing is saved, nothing is lost: the typed figures are shown read-only.
        return _render_detail(
            request,
            community,
            period,
            monthly_return,
            context=context,
            form=form,
            refusal=refusal,
            unsaved=True,
            status=403,
        )
    if not form.is_valid():
        return _render_detail(
            request, community, period, monthly_return, context=context, form=form
        )
    try:
        saved = domain.return_save(
            community=community,
            period=period,
            values=form.values(),
            comments=form.comments(),
            version=form.cleaned_data["version"],
            by=request.user,
            submit=submitting,
        )
    except domain.StaleReturn as stale:
        return _stale(request, community, period, context, form, stale.message)
    except Refused as refused:
        current = MonthlyReturn.objects.filter(pk=monthly_return.pk).first()
        if current is not None:
            current.community = community
        return _render_detail(
            request,
            community,
            period,
            current or monthly_return,
            context=context,
            form=form,
            refusal=refused.message,
            unsaved=True,
            status=403,
        )
    _saved_messages(request, saved, form, submitting)
    return redirect(return_url(community.code, period))


def _stale(request, community, period, context, form, message):
    """Someone saved in between: keep the typed figures, show the saved ones beside them,
    and take the current version so that saving again (deliberately) overwrites."""
    current = MonthlyReturn.objects.filter(community=community, period=period).first()
    if current is None:
        # Nothing is saved: the form's version was never this return's (a stale or altered
        # page). Start again from version 0, as for a new return.
        current = MonthlyReturn(community=community, period=period, version=0)
    current.community = community
    data = form.data.copy()
    data["version"] = str(current.version)
    retry = ReturnForm(data, submitting=form.submitting, **context)
    retry.is_valid()
    messages.error(request, message)
    refusal = domain.edit_refusal(request.user, current)
    return _render_detail(
        request,
        community,
        period,
        current,
        context=context,
        form=retry,
        refusal=refusal,
        conflict=_stored_data(current, context["indicators"]),
        unsaved=refusal is not None,
        status=409,
    )


def _saved_messages(request, saved, form, submitting):
    if submitting:
        if saved.is_late:
            messages.warning(
                request,
                _(
                    "Submitted after the due date (%(date)s): the return is marked late. "
                    "The township will review it."
                )
                % {"date": date_format(due_on(saved.period), "DATE_FORMAT")},
            )
        else:
            messages.success(request, _("Submitted. The township will review it."))
        return
    messages.success(
        request, _("Saved as a draft (version %(version)s).") % {"version": saved.version}
    )
    if form.warnings:
        messages.warning(
            request,
            _(
                "%(count)s figure(s) are far from the recent months. Check them; to submit, "
                "explain each in its comment."
            )
            % {"count": len(form.warnings)},
        )


@login_required
@require_POST
def return_transition(request, code, month, action):
    """Approve, send back, accept or reopen a return; the domain decides who may."""
    community, period, monthly_return = get_return_for_user(request.user, code, month)
    if action not in ACTIONS:
        raise Http404
    function, needs_reason = ACTIONS[action]
    reason_form = ReturnReasonForm(
        request.POST, reason_required=needs_reason, label=ACTION_TEXT[action][1], prefix=action
    )
    url = return_url(community.code, period)
    if not reason_form.is_valid():
        if action not in domain.available_transitions(request.user, monthly_return):
            messages.error(request, _("You may not do this for this return."))
            return redirect(url)
        return _render_detail(
            request,
            community,
            period,
            monthly_return,
            context=entry_context(community, period),
            reason_form=reason_form,
            status=400,
        )
    kwargs = {"reason": reason_form.cleaned_data["reason"]} if needs_reason else {}
    try:
        function(monthly_return=monthly_return, by=request.user, **kwargs)
    except Refused as refused:
        messages.error(request, refused.message)
        return redirect(url)
    messages.success(request, _transition_message(action))
    return redirect(url)


def _transition_message(action: str) -> str:
    return {
        "approve": _("Approved. The county will check and accept it."),
        "send_back": _("Sent back to the community with your reason."),
        "accept": _("Accepted by the county: the return is locked."),
        "reopen": _("Reopened: the community can change the figures again."),
    }[action]
