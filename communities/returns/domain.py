"""Writes and state changes of monthly returns.

Views, the Excel import, admin actions and commands all call these functions: each rule of
the workflow lives here once. Every function locks the return's row (select_for_update) so
that two people acting at once produce exactly one change; the second gets Refused.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from chunan_community.errors import Refused
from chunan_community.months import month_name, month_start
from communities.access import CLERK, COUNTY, TOWNSHIP, access_for
from communities.models import MonthlyReturn, ReturnEvent, ReturnStatus, ReturnValue
from communities.queries import clerks_of
from communities.returns.checks import closes_on, due_on
from notifications.models import Kind
from notifications.notify import notify


class StaleReturn(Refused):
    """Someone else saved the return since this form was opened."""


def _event_date(value):
    return date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


def edit_refusal(user, monthly_return, *, today=None) -> str | None:
    """None if `user` may change the figures of this return now; otherwise why not.

    The page shows this sentence whenever the form is read-only.
    """
    today = today or timezone.localdate()
    access = access_for(user)
    period = monthly_return.period
    if not access.covers(monthly_return.community):
        return _("This return is outside your area.")
    if access.role not in (CLERK, COUNTY):
        return _("Figures are entered by the community's clerk; township staff review them.")
    if period > month_start(today):
        return _("%(month)s has not begun yet.") % {"month": month_name(period)}
    if monthly_return.status == ReturnStatus.SUBMITTED:
        return _(
            "Submitted on %(date)s and waiting for the township's review. If a figure must "
            "change, ask the township to send it back."
        ) % {"date": _event_date(monthly_return.submitted_at)}
    if monthly_return.status == ReturnStatus.APPROVED:
        return _(
            "Approved by the township on %(date)s. If a figure must change, ask the county "
            "to send it back."
        ) % {"date": _event_date(monthly_return.approved_at)}
    if monthly_return.status == ReturnStatus.ACCEPTED:
        return _(
            "Accepted by the county on %(date)s and locked. Only county staff can reopen it."
        ) % {"date": _event_date(monthly_return.accepted_at)}
    closing = closes_on(period, monthly_return.open_until)
    if access.role == CLERK and today > closing:
        return _(
            "The entry window for %(month)s closed on %(date)s. Ask the county to reopen "
            "the return."
        ) % {"month": month_name(period), "date": date_format(closing, "DATE_FORMAT")}
    return None


def _locked(monthly_return) -> MonthlyReturn:
    try:
        return (
            MonthlyReturn.objects.select_for_update()
            .select_related("community")
            .get(pk=monthly_return.pk)
        )
    except MonthlyReturn.DoesNotExist:
        # A month nobody has saved yet (the page shows an unsaved draft): nothing to move.
        raise Refused(_("This return has not been saved yet.")) from None


def _validate(monthly_return):
    """full_clean() without its database round trips: the row is locked, its community and
    user were just read, and the unique and check constraints hold by construction (and the
    database enforces them anyway). An Excel import calls this a thousand times."""
    monthly_return.full_clean(
        exclude=["community", "updated_by"], validate_unique=False, validate_constraints=False
    )


def _record(monthly_return, action, from_status, by, reason=""):
    ReturnEvent.objects.create(
        monthly_return=monthly_return,
        action=action,
        from_status=from_status,
        to_status=monthly_return.status,
        by=by,
        reason=reason,
    )


@transaction.atomic
def return_save(
    *,
    community,
    period: datetime.date,
    values: dict[int, Decimal | None],
    comments: dict[int, str] | None = None,
    version: int | None,
    by,
    submit: bool = False,
    action: str = ReturnEvent.Action.SAVED,
    today: datetime.date | None = None,
    is_sample: bool = False,
) -> MonthlyReturn:
    """Store the figures of a community's month as a draft, and submit them if `submit`.

    `values` and `comments` are keyed by indicator id and already validated (ReturnForm).
    `is_sample` marks a return created by the demo load as sample data.
    `version` is the version the form was opened at (0 or None for a return not yet saved):
    if the return changed since, StaleReturn is raised and nothing is written.

    Side effects: creates the return on its first save; saves only the values that changed
    (each change leaves a history row: who, when, old → new); bumps the version; records a
    ReturnEvent; on submission sets the status, the submission time and the late flag.
    Raises Refused when the return cannot be changed now (edit_refusal says why).
    """
    today = today or timezone.localdate()
    comments = comments or {}
    monthly_return, created = MonthlyReturn.objects.select_for_update().get_or_create(
        community=community, period=period, defaults={"updated_by": by, "is_sample": is_sample}
    )
    # A version check rather than last-write-wins: the second of two people editing the
    # same return is told, and keeps what they typed (the view re-shows it).
    if (version or 0) != (0 if created else monthly_return.version):
        if created:
            # A page from elsewhere (or an altered one): nobody has saved this month yet.
            raise StaleReturn(
                _(
                    "This page was out of date: nothing has been saved for this month yet. "
                    "Your figures are still in the form below: check them, then save again."
                )
            )
        raise StaleReturn(
            _(
                "Someone else saved this return while you were editing it. Your figures are "
                "still in the form below: compare them with the saved ones, then save again."
            )
        )
    monthly_return.community = community
    refusal = edit_refusal(by, monthly_return, today=today)
    if refusal:
        raise Refused(refusal)

    existing = {row.indicator_id: row for row in monthly_return.values.all()}
    new_rows, changed_rows = [], []
    for indicator_id, value in values.items():
        row = existing.get(indicator_id)
        # A comment not given is kept, so a form or workbook without comments loses none.
        comment = comments.get(indicator_id, row.comment if row else "")
        if row is None:
            if value is not None or comment:
                new_rows.append(
                    ReturnValue(
                        monthly_return=monthly_return,
                        indicator_id=indicator_id,
                        value=value,
                        comment=comment,
                    )
                )
        elif row.value != value or row.comment != comment:
            row.value, row.comment = value, comment
            changed_rows.append(row)
    # In bulk, so that a save costs the same few queries however many figures changed; the
    # *_with_history helpers write the audit rows (plain bulk writes would record none).
    if changed_rows:
        bulk_update_with_history(changed_rows, ReturnValue, ["value", "comment"], default_user=by)
    if new_rows:
        bulk_create_with_history(new_rows, ReturnValue, default_user=by)

    from_status = "" if created else monthly_return.status
    if not created:
        monthly_return.version += 1
    monthly_return.updated_by = by
    if submit:
        monthly_return.status = ReturnStatus.SUBMITTED
        monthly_return.submitted_at = timezone.now()
        monthly_return.is_late = today > due_on(period)
        action = ReturnEvent.Action.SUBMITTED
    _validate(monthly_return)
    monthly_return.save()
    _record(monthly_return, action, from_status, by)
    return monthly_return


# The returns waiting for each reviewer: the township approves, the county accepts.
TO_REVIEW = {TOWNSHIP: ReturnStatus.SUBMITTED, COUNTY: ReturnStatus.APPROVED}

# Who may move a return from which status: action → (status → roles, new status).
TRANSITIONS = {
    "approve": ({ReturnStatus.SUBMITTED: (TOWNSHIP, COUNTY)}, ReturnStatus.APPROVED),
    "send_back": (
        {ReturnStatus.SUBMITTED: (TOWNSHIP, COUNTY), ReturnStatus.APPROVED: (COUNTY,)},
        ReturnStatus.RETURNED,
    ),
    "accept": ({ReturnStatus.APPROVED: (COUNTY,)}, ReturnStatus.ACCEPTED),
    "reopen": ({ReturnStatus.ACCEPTED: (COUNTY,)}, ReturnStatus.DRAFT),
}


def available_transitions(user, monthly_return) -> list[str]:
    """The workflow actions `user` may take on this return now (for the page's buttons)."""
    access = access_for(user)
    if not access.covers(monthly_return.community):
        return []
    return [
        name
        for name, (allowed, _to) in TRANSITIONS.items()
        if access.role in allowed.get(monthly_return.status, ())
    ]


def _transition(monthly_return, name, *, by, action, reason="", **fields):
    allowed, to = TRANSITIONS[name]
    locked = _locked(monthly_return)
    access = access_for(by)
    if not access.covers(locked.community) or not any(
        access.role in roles for roles in allowed.values()
    ):
        raise Refused(_("You may not do this for this return."))
    if access.role not in allowed.get(locked.status, ()):
        raise Refused(
            _("This return is now “%(status)s”; reload the page to see its current state.")
            % {"status": locked.get_status_display()}
        )
    from_status = locked.status
    locked.status = to
    locked.version += 1
    for field, value in fields.items():
        setattr(locked, field, value)
    _validate(locked)
    locked.save()
    _record(locked, action, from_status, by, reason)
    return locked


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give a reason: the community sees it with the return."))
    return reason


def _reopened_until(monthly_return) -> datetime.date:
    """A reopened return stays open for RETURN_DUE_DAYS, or until its normal closing."""
    today = timezone.localdate()
    return max(
        closes_on(monthly_return.period),
        today + datetime.timedelta(days=settings.RETURN_DUE_DAYS),
    )


@transaction.atomic
def return_approve(*, monthly_return, by) -> MonthlyReturn:
    """Township (or county) approves a submitted return. Side effects: status, event."""
    return _transition(
        monthly_return,
        "approve",
        by=by,
        action=ReturnEvent.Action.APPROVED,
        approved_at=timezone.now(),
    )


def _tell_clerks(monthly_return, *, template: str, by, reason: str) -> None:
    """Write to the community's clerks that their return came back to them, with the reason
    and the page where they correct it."""
    notify(
        Kind.RETURN_SENT_BACK,
        clerks_of(monthly_return.community),
        template,
        {
            "community": monthly_return.community,
            "period": monthly_return.period,
            "reason": reason,
            "by_county": access_for(by).role == COUNTY,
            "open_until": monthly_return.open_until,
        },
        url=monthly_return.get_absolute_url(),
    )


@transaction.atomic
def return_send_back(*, monthly_return, by, reason: str) -> MonthlyReturn:
    """Send a return back to the community with a required reason.

    The township sends back submitted returns; the county also approved ones. The entry
    window is reopened for the clerk. Side effects: status, open_until, event, a message with
    the reason to the community's clerks (Kind.RETURN_SENT_BACK).
    """
    reason = _required_reason(reason)
    sent_back = _transition(
        monthly_return,
        "send_back",
        by=by,
        action=ReturnEvent.Action.RETURNED,
        reason=reason,
        open_until=_reopened_until(monthly_return),
    )
    _tell_clerks(
        sent_back, template="notifications/messages/returns_sent_back.txt", by=by, reason=reason
    )
    return sent_back


@transaction.atomic
def return_accept(*, monthly_return, by) -> MonthlyReturn:
    """The county accepts an approved return, which locks it. Side effects: status, event."""
    return _transition(
        monthly_return,
        "accept",
        by=by,
        action=ReturnEvent.Action.ACCEPTED,
        accepted_at=timezone.now(),
    )


@transaction.atomic
def return_reopen(*, monthly_return, by, reason: str) -> MonthlyReturn:
    """The county reopens an accepted return with a reason: back to draft, window reopened.

    Side effects: status, open_until, event, a message with the reason to the community's
    clerks (Kind.RETURN_SENT_BACK: the return is theirs to change again).
    """
    reason = _required_reason(reason)
    reopened = _transition(
        monthly_return,
        "reopen",
        by=by,
        action=ReturnEvent.Action.REOPENED,
        reason=reason,
        open_until=_reopened_until(monthly_return),
    )
    _tell_clerks(
        reopened, template="notifications/messages/returns_reopened.txt", by=by, reason=reason
    )
    return reopened
