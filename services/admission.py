"""Community admission (社区准入): a county department's request to hand a task to communities.

The county records the request, then approves it or refuses it with a reason. Funding, staff
and authority go with the task (费随事转、人随事转、权随事转): when funds follow, the amount
must be stated, so that no community is handed work without the money for it ("a pony
pulling a big cart", 小马拉大车). Only a submitted request may be changed or decided; each
decision locks the row (select_for_update), so that two people deciding at once produce
exactly one decision and the second is told. The decision is e-mailed to the department's
contact address, and sent to the inbox of the staff member who recorded the request.

Views, the admin and commands call these functions: each rule lives here once.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chunan_community.errors import Refused
from communities.access import COUNTY
from communities.models import Community
from communities.permissions import can_add, can_change
from notifications.models import Kind
from notifications.notify import email_to, notify
from services.models import AdmissionRequest

Status = AdmissionRequest.Status
ZERO = Decimal(0)


# ---------- Reads ----------


def active_communities():
    """The communities a task may be handed to: the active ones, township by township."""
    return Community.objects.public().select_related("township")


def admitted_tasks_for(community):
    """The approved requests whose communities include `community`, newest decision first,
    each with `community_count`: how many communities the task was admitted to."""
    # Counted before filtering: a filter on the same relation after the count gets its own
    # join, so the count covers every community of the request, not only this one.
    return (
        AdmissionRequest.objects.annotate(community_count=Count("communities"))
        .filter(status=Status.APPROVED, communities=community)
        .order_by("-decided_on", "-id")
    )


# ---------- Rules ----------


def funds_errors(*, funds_follow: bool, funds_yuan) -> dict[str, str]:
    """The funds rule (费随事转), as {field: message}; empty when the funds are consistent.

    When funds follow the task the amount must be above 0; when they do not, no amount may
    be given (a figure without the box ticked is most likely a box forgotten).
    """
    amount = ZERO if funds_yuan is None else Decimal(funds_yuan)
    if funds_follow and amount <= ZERO:
        return {
            "funds_yuan": _(
                "Funds follow the task: enter the amount in yuan the department hands over "
                "with it (more than 0)."
            )
        }
    if not funds_follow and amount > ZERO:
        return {
            "funds_yuan": _(
                "An amount is entered but “funds follow the task” is not ticked: tick it, "
                "or clear the amount."
            )
        }
    return {}


def edit_refusal(admission_request) -> str | None:
    """None while the request may be changed or decided; otherwise why not."""
    if admission_request.status == Status.SUBMITTED:
        return None
    when = (
        date_format(admission_request.decided_on, "DATE_FORMAT")
        if admission_request.decided_on
        else ""
    )
    if admission_request.status == Status.APPROVED:
        return _(
            "This request was approved on %(date)s: a decided request cannot be changed or "
            "decided again."
        ) % {"date": when}
    return _(
        "This request was refused on %(date)s: a decided request cannot be changed or "
        "decided again."
    ) % {"date": when}


def _check_county(by, *, adding=False):
    allowed = can_add(by, AdmissionRequest) if adding else can_change(by, AdmissionRequest)
    if not allowed:
        raise Refused(_("Only county staff record and decide admission requests."))


def _check_communities(communities):
    if not communities:
        raise ValidationError(
            {"communities": _("Choose the communities concerned, or tick “All communities”.")}
        )
    inactive = [c for c in communities if c.status != Community.Status.ACTIVE]
    if inactive:
        raise ValidationError(
            {
                "communities": _("%(names)s no longer exist as communities: untick them.")
                % {"names": "、".join(c.name for c in inactive)}
            }
        )


def _locked(admission_request) -> AdmissionRequest:
    return AdmissionRequest.objects.select_for_update().get(pk=admission_request.pk)


def received_errors(received_on, *, today) -> dict[str, str]:
    """The received date's rule, as {field: message}: given, and not after today (a
    request is decided on the day of the decision, never before it arrived)."""
    if received_on is None:
        return {"received_on": _("Enter the day the request reached the county.")}
    if received_on > today:
        return {
            "received_on": _("The request cannot be received after today (%(today)s).")
            % {"today": date_format(today, "DATE_FORMAT")}
        }
    return {}


def _validate(admission_request, *, today=None):
    errors = funds_errors(
        funds_follow=admission_request.funds_follow, funds_yuan=admission_request.funds_yuan
    )
    if today is not None:
        errors.update(received_errors(admission_request.received_on, today=today))
    if errors:
        raise ValidationError(errors)
    admission_request.full_clean()


# ---------- Writes ----------


@transaction.atomic
def admission_submit(
    *,
    department: str,
    task: str,
    funds_follow: bool,
    staff_follow: bool,
    authority_follow: bool,
    funds_yuan: Decimal | None,
    communities,
    by,
    received_on: datetime.date | None = None,
    contact_email: str = "",
    is_sample: bool = False,
    today: datetime.date | None = None,
) -> AdmissionRequest:
    """Record a department's request to hand a task to `communities`, as submitted.

    `received_on` is the day the request reached the county (today if not given), never
    after today; `contact_email` the department's address for the decision. Side effects:
    creates one AdmissionRequest and its community links (each with a history row naming
    `by`). Raises Refused when `by` is not county staff, and ValidationError (by field)
    when the funds rule fails, the received date is after today, no community is chosen, or
    a field is invalid.
    """
    today = today or timezone.localdate()
    _check_county(by, adding=True)
    communities = list(communities)
    admission_request = AdmissionRequest(
        department=(department or "").strip(),
        contact_email=(contact_email or "").strip(),
        task=(task or "").strip(),
        funds_follow=funds_follow,
        staff_follow=staff_follow,
        authority_follow=authority_follow,
        funds_yuan=ZERO if funds_yuan is None else Decimal(funds_yuan),
        status=Status.SUBMITTED,
        received_on=received_on or today,
        is_sample=is_sample,
    )
    _validate(admission_request, today=today)
    _check_communities(communities)
    admission_request._history_user = by
    admission_request.save()
    admission_request.communities.set(communities)
    return admission_request


@transaction.atomic
def admission_update(
    *,
    admission_request: AdmissionRequest,
    department: str,
    task: str,
    funds_follow: bool,
    staff_follow: bool,
    authority_follow: bool,
    funds_yuan: Decimal | None,
    communities,
    by,
    received_on: datetime.date | None = None,
    contact_email: str | None = None,
    today: datetime.date | None = None,
) -> AdmissionRequest:
    """Correct a request that is still submitted (a typing error, a community missed, the
    received date or the contact address; `received_on` or `contact_email` None keeps it).

    Side effects: saves the request and its community links, with history rows naming
    `by`. Raises Refused when `by` is not county staff or the request has been
    decided meanwhile, and ValidationError as admission_submit does.
    """
    _check_county(by)
    locked = _locked(admission_request)
    refusal = edit_refusal(locked)
    if refusal:
        raise Refused(refusal)
    communities = list(communities)
    locked.department = (department or "").strip()
    locked.task = (task or "").strip()
    locked.funds_follow = funds_follow
    locked.staff_follow = staff_follow
    locked.authority_follow = authority_follow
    locked.funds_yuan = ZERO if funds_yuan is None else Decimal(funds_yuan)
    if received_on is not None:
        locked.received_on = received_on
    if contact_email is not None:
        locked.contact_email = contact_email.strip()
    _validate(locked, today=today or timezone.localdate())
    _check_communities(communities)
    locked._history_user = by
    locked.save()
    locked.communities.set(communities)
    return locked


def _decide(admission_request, *, to: str, reason: str, by) -> AdmissionRequest:
    _check_county(by)
    # Locked so that two decisions at once cannot both pass the status check: the second
    # waits for the first to commit, then finds the request decided and is refused.
    locked = _locked(admission_request)
    refusal = edit_refusal(locked)
    if refusal:
        raise Refused(refusal)
    decided_on = timezone.localdate()
    if locked.received_on and locked.received_on > decided_on:
        raise Refused(
            _(
                "This request was received on %(date)s, after today: correct the received "
                "date before deciding it."
            )
            % {"date": date_format(locked.received_on, "DATE_FORMAT")}
        )
    locked.status = to
    locked.decision_reason = reason
    locked.decided_by = by
    locked.decided_on = decided_on
    _validate(locked)
    locked._history_user = by
    locked.save()
    admission_notify_decision(admission_request=locked, by=by)
    return locked


def admission_notify_decision(*, admission_request: AdmissionRequest, by) -> None:
    """Tell the department and the recorder of `admission_request` how it was decided.

    Called inside the decision's transaction (the messages commit with it). Side effects: an
    e-mail to the department's `contact_email`, if it has one, and a message to the staff
    member who recorded the request (the request's first history row), unless that is `by`,
    who took the decision. Each is keyed by request and decision: written once.
    """
    decision = admission_request.status
    key = f"admission_decision:{admission_request.pk}:{decision}"
    template = "notifications/messages/services_admission_decision.txt"
    context = {
        "item": admission_request,
        "approved": decision == Status.APPROVED,
        "community_count": admission_request.communities.count(),
    }
    email_to(admission_request.contact_email, Kind.ADMISSION_DECISION, template, context, key=key)
    created = (
        admission_request.history.filter(history_type="+").select_related("history_user").first()
    )
    recorder = created.history_user if created else None
    if recorder is not None and recorder != by:
        notify(
            Kind.ADMISSION_DECISION,
            [recorder],
            template,
            context,
            url=reverse("services:admission_detail", kwargs={"pk": admission_request.pk}),
            key=key,
        )


@transaction.atomic
def admission_approve(
    *, admission_request: AdmissionRequest, by, reason: str = ""
) -> AdmissionRequest:
    """Approve a submitted request: the task is admitted to its communities.

    `reason` is an optional note on the decision. Side effects: status, reason, decided_by,
    decided_on (today), a history row. Raises Refused when `by` is not county
    staff or the request is no longer submitted.
    """
    return _decide(admission_request, to=Status.APPROVED, reason=(reason or "").strip(), by=by)


@transaction.atomic
def admission_refuse(*, admission_request: AdmissionRequest, by, reason: str) -> AdmissionRequest:
    """Refuse a submitted request, with the reason the department is given (required).

    Side effects: status, reason, decided_by, decided_on (today), a history row. Raises
    Refused when the reason is blank, `by` is not county staff, or the request is
    no longer submitted.
    """
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reason for the refusal: the department is told it."))
    return _decide(admission_request, to=Status.REFUSED, reason=reason, by=by)


# Admission decisions reach the county staff who recorded the request (the message settings).
KINDS_BY_ROLE = {COUNTY: {Kind.ADMISSION_DECISION}}
