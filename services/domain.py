"""Writes of the time bank (时间银行): service given deposits hours, service received draws them.

The ledger (`TimeBankEntry`) is append-only and the balance is always its sum, never a
stored figure, so it cannot drift from the lines a statement shows. A draw locks the
volunteer's row so that two draws at once cannot both pass the floor check.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum, Window
from django.utils.translation import gettext as _

from chunan_community.errors import Refused
from services.models import ServiceRecord, TimeBankEntry, Volunteer, time_bank_balance_sum

ZERO = Decimal("0.00")


def time_bank_floor() -> Decimal:
    """The lowest balance (hours) a draw may leave: settings.TIME_BANK_FLOOR_HOURS."""
    # str() first: the setting may be a float read from the environment.
    return Decimal(str(settings.TIME_BANK_FLOOR_HOURS))


def time_bank_balance(volunteer, *, before: datetime.date | None = None) -> Decimal:
    """The volunteer's balance in hours, in one query: the sum of their ledger
    (`time_bank_balance_sum`), of the lines dated before `before` when it is given."""
    total = (
        Volunteer.objects.filter(pk=volunteer.pk)
        .with_balance(before=before)
        .values_list("balance", flat=True)
        .get()
    )
    # SQLite hands back "2" for 2.00: quantize so every backend prints the same.
    return Decimal(total).quantize(ZERO)


@transaction.atomic
def service_record(
    *,
    volunteer: Volunteer,
    served_on: datetime.date,
    hours: Decimal,
    activity: str,
    household=None,
    by,
) -> ServiceRecord:
    """Record a session of volunteer service and deposit its hours in the time bank.

    Side effects: creates one ServiceRecord and one deposit TimeBankEntry linked to it.
    Raises ValidationError when hours are not above 0 and at most 24, or the household
    belongs to another community.
    """
    record = ServiceRecord(
        volunteer=volunteer,
        served_on=served_on,
        hours=Decimal(hours),
        activity=activity,
        household=household,
        recorded_by=by,
    )
    record.full_clean()
    record.save()
    entry = TimeBankEntry(
        volunteer=volunteer,
        kind=TimeBankEntry.Kind.DEPOSIT,
        hours=record.hours,
        on=served_on,
        service_record=record,
        note=activity[:200],
        created_by=by,
    )
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save()
    return record


@transaction.atomic
def time_bank_draw(
    *, volunteer: Volunteer, hours: Decimal, on: datetime.date, note: str = "", by
) -> TimeBankEntry:
    """Draw `hours` from the volunteer's account for service they or their family received.

    Side effects: creates one draw TimeBankEntry (negative hours). Raises ValidationError
    when hours are not positive, Refused when the balance would fall below
    settings.TIME_BANK_FLOOR_HOURS.
    """
    hours = Decimal(hours)
    if hours <= 0:
        raise ValidationError({"hours": _("Enter a number of hours above zero.")})
    # Lock the volunteer's row for the rest of the transaction: a second draw for the same
    # volunteer waits here until this one commits, and then sees its entry in the balance.
    # Without the lock both could read the same balance and together overdraw the account.
    # Deposits need no lock: they only raise the balance.
    Volunteer.objects.select_for_update().only("pk").get(pk=volunteer.pk)
    balance = time_bank_balance(volunteer)
    floor = time_bank_floor()
    if balance - hours < floor:
        raise Refused(
            _(
                "Cannot draw %(hours)s hours: the balance is %(balance)s hours and may not "
                "go below %(floor)s hours."
            )
            % {"hours": hours, "balance": balance, "floor": floor}
        )
    entry = TimeBankEntry(
        volunteer=volunteer,
        kind=TimeBankEntry.Kind.DRAW,
        hours=-hours,
        on=on,
        note=note,
        created_by=by,
    )
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save()
    return entry


def time_bank_statement(volunteer, year: int | None = None):
    """The volunteer's ledger in date order, each entry annotated with `balance`: the
    running balance after it (including all earlier years when `year` is given).

    One query: the running sum is a window function; for a single year the balance
    brought forward is a subquery of the same statement.
    """
    entries = TimeBankEntry.objects.filter(volunteer=volunteer)
    running = Window(Sum("hours"), order_by=[F("on").asc(), F("id").asc()])
    if year is None:
        return entries.annotate(balance=running).order_by("on", "id")
    brought_forward = time_bank_balance_sum(volunteer, before=datetime.date(year, 1, 1))
    return (
        entries.filter(on__year=year)
        .annotate(balance=brought_forward + running)
        .order_by("on", "id")
    )


class SessionRejected(Exception):
    """One session of a batch was invalid; `index` says which, `error` why. Nothing was saved."""

    def __init__(self, index: int, error: ValidationError):
        super().__init__(index, error)
        self.index = index
        self.error = error


@transaction.atomic
def service_record_batch(*, sessions: list[dict], by) -> list[ServiceRecord]:
    """Record several sessions at once (paper slips typed in the office): all or none.

    Each session is the keyword arguments of `service_record` without `by`.
    Side effects: for each session, what `service_record` creates. Raises SessionRejected
    for the first invalid session; the whole batch is then rolled back.
    """
    records = []
    for index, session in enumerate(sessions):
        try:
            records.append(service_record(**session, by=by))
        except ValidationError as error:
            raise SessionRejected(index, error) from error
    return records
