"""Writes of paired assistance (结对帮困): households, their helpers and the visits made.

Each function checks the county's rules, raising ValidationError keyed by field with a
message the user can act on, then `full_clean()` and `save()`. Views, the admin and
commands call these, so that a rule lives in one place.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communities.models import CoBuildingUnit
from services.models import AssistanceVisit, AssistedHousehold, HelperPairing, Volunteer


def _not_in_future(field: str, day: datetime.date, message: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: message})


def household_save(
    *,
    household: AssistedHousehold,
    household_name: str,
    phone: str,
    category: str,
    help_hardship: bool,
    help_medical: bool,
    help_schooling: bool,
    active: bool,
) -> AssistedHousehold:
    """Create the household (an unsaved instance with its community) or update it.

    Side effects: saves the household, which writes a history row. Raises ValidationError
    when no kind of help is ticked.
    """
    if not (help_hardship or help_medical or help_schooling):
        raise ValidationError({"help_hardship": _("Tick at least one kind of help needed.")})
    household.household_name = household_name.strip()
    household.phone = phone.strip()
    household.category = category
    household.help_hardship = help_hardship
    household.help_medical = help_medical
    household.help_schooling = help_schooling
    household.active = active
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def helper_pair(
    *,
    household: AssistedHousehold,
    started_on: datetime.date,
    co_building_unit: CoBuildingUnit | None = None,
    volunteer: Volunteer | None = None,
) -> HelperPairing:
    """Pair the household with a helper: a co-building unit or a volunteer of its community.

    Side effects: creates one HelperPairing. Raises ValidationError when not exactly one
    helper is given, the volunteer is of another community, or the helper is already
    paired with the household.
    """
    if co_building_unit is None and volunteer is None:
        raise ValidationError(_("Choose a co-building unit or a volunteer as the helper."))
    if co_building_unit is not None and volunteer is not None:
        raise ValidationError(_("Choose either a co-building unit or a volunteer, not both."))
    if volunteer is not None and volunteer.community_id != household.community_id:
        raise ValidationError({"volunteer": _("Choose a volunteer of the household's community.")})
    # Lock the household so that two clerks pairing the same helper at once cannot both
    # pass the check below.
    AssistedHousehold.objects.select_for_update().only("pk").get(pk=household.pk)
    today = timezone.localdate()
    running = HelperPairing.objects.filter(household=household).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=today)
    )
    if co_building_unit is not None and running.filter(co_building_unit=co_building_unit).exists():
        raise ValidationError(
            {"co_building_unit": _("This unit is already paired with the household.")}
        )
    if volunteer is not None and running.filter(volunteer=volunteer).exists():
        raise ValidationError(
            {"volunteer": _("This volunteer is already paired with the household.")}
        )
    pairing = HelperPairing(
        household=household,
        co_building_unit=co_building_unit,
        volunteer=volunteer,
        started_on=started_on,
    )
    pairing.full_clean()
    pairing.save()
    return pairing


@transaction.atomic
def helper_end(*, pairing: HelperPairing, ended_on: datetime.date) -> HelperPairing:
    """End a running pairing on `ended_on`; returns the pairing as saved.

    Side effects: sets the pairing's end date. Raises ValidationError when it has already
    ended, or the date is in the future or not after the start.
    """
    # Locked and read again: of two people ending the pairing at once, the second waits for
    # the first and is told it has ended, instead of writing its own end date over it.
    pairing = HelperPairing.objects.select_for_update().get(pk=pairing.pk)
    if pairing.ended_on is not None:
        raise ValidationError(_("This pairing has already ended."))
    _not_in_future("ended_on", ended_on, _("The end date cannot be in the future."))
    if ended_on <= pairing.started_on:
        raise ValidationError(
            {
                "ended_on": _("A pairing must end after it started (%(date)s).")
                % {"date": date_format(pairing.started_on, "DATE_FORMAT")}
            }
        )
    pairing.ended_on = ended_on
    pairing.full_clean()
    pairing.save(update_fields=["ended_on"])
    return pairing


def visit_record(
    *,
    household: AssistedHousehold,
    visited_on: datetime.date,
    kind: str,
    hours: Decimal,
    by_volunteer: Volunteer | None = None,
    note: str = "",
) -> AssistanceVisit:
    """Record a visit to the household and the help given.

    Side effects: creates one AssistanceVisit. Raises ValidationError when the date is in
    the future, the hours are negative or the volunteer is of another community.
    """
    _not_in_future("visited_on", visited_on, _("The visit date cannot be in the future."))
    if hours < 0:
        raise ValidationError({"hours": _("Enter the hours as 0 or more.")})
    if by_volunteer is not None and by_volunteer.community_id != household.community_id:
        raise ValidationError(
            {"by_volunteer": _("Choose a volunteer of the household's community.")}
        )
    visit = AssistanceVisit(
        household=household,
        visited_on=visited_on,
        kind=kind,
        hours=hours,
        by_volunteer=by_volunteer,
        note=note.strip(),
    )
    visit.full_clean()
    visit.save()
    return visit
