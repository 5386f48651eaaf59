"""Writes of re-employment and social security: training classes, processing work
(来料加工) and monthly re-employment outcomes.

Each function checks the rules, raising ValidationError keyed by field with a message the
user can act on (all the problems at once), then `full_clean()` and `save()`. A duplicate
that slips in between the check and the save (two people saving at once) meets the
database's unique constraint and is reported the same way, not as a server error.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from services.models import ProcessingProject, ReemploymentOutcome, TrainingClass


def _others(instance):
    """The other rows of the instance's community (all of them for a new instance)."""
    rows = type(instance).objects.filter(community_id=instance.community_id)
    return rows.exclude(pk=instance.pk) if instance.pk else rows


def _save(instance, errors: dict, duplicate: tuple[str, str]):
    if errors:
        raise ValidationError(errors)
    instance.full_clean()
    try:
        # A savepoint, so that a unique violation leaves the request's transaction usable.
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        field, message = duplicate
        raise ValidationError({field: message}) from None
    return instance


def training_class_save(
    *,
    training_class: TrainingClass,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    trainees: int,
    completions: int,
) -> TrainingClass:
    """Create the class (an unsaved instance with its community) or update it.

    Side effects: saves the class. Raises ValidationError when it ends before it starts,
    has more completions than trainees, or repeats a class of the same name and start.
    """
    training_class.name = name.strip()
    training_class.starts_on = starts_on
    training_class.ends_on = ends_on
    training_class.trainees = trainees
    training_class.completions = completions
    duplicate = _("A class of this name starting on this date is already recorded.")
    errors = {}
    if ends_on < starts_on:
        errors["ends_on"] = _("The class cannot end before it starts (%(date)s).") % {
            "date": date_format(starts_on, "DATE_FORMAT")
        }
    if completions > trainees:
        errors["completions"] = _(
            "Completions (%(completions)s) cannot be more than trainees (%(trainees)s)."
        ) % {"completions": completions, "trainees": trainees}
    if _others(training_class).filter(name=training_class.name, starts_on=starts_on).exists():
        errors["name"] = duplicate
    return _save(training_class, errors, ("name", duplicate))


def processing_project_save(
    *,
    project: ProcessingProject,
    name: str,
    year: int,
    participants: int,
    income_yuan: Decimal,
) -> ProcessingProject:
    """Create the processing-work project (an unsaved instance with its community) or
    update it.

    Side effects: saves the project. Raises ValidationError for a negative income or a
    project of the same name already recorded for the year.
    """
    project.name = name.strip()
    project.year = year
    project.participants = participants
    project.income_yuan = income_yuan
    duplicate = _("A project of this name is already recorded for this year.")
    errors = {}
    if income_yuan < 0:
        errors["income_yuan"] = _("Enter the income as 0 or more.")
    if _others(project).filter(name=project.name, year=year).exists():
        errors["name"] = duplicate
    return _save(project, errors, ("name", duplicate))


def reemployment_outcome_save(
    *, outcome: ReemploymentOutcome, month: datetime.date, reemployed: int
) -> ReemploymentOutcome:
    """Create the month's outcome (an unsaved instance with its community) or update it.

    Side effects: saves the outcome, for the first day of `month`. Raises ValidationError
    for a month not yet begun or already recorded.
    """
    month = month.replace(day=1)
    outcome.month = month
    outcome.reemployed = reemployed
    duplicate = _("The outcome of %(month)s is already recorded: edit that month instead.") % {
        "month": date_format(month, "YEAR_MONTH_FORMAT")
    }
    errors = {}
    if month > timezone.localdate():
        errors["month"] = _("The month has not begun yet.")
    elif _others(outcome).filter(month=month).exists():
        errors["month"] = duplicate
    if reemployed < 0:
        errors["reemployed"] = _("Enter the number of people as 0 or more.")
    return _save(outcome, errors, ("month", duplicate))
