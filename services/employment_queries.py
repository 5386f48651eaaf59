"""Reads of re-employment and social security: a community's training classes, processing
work (来料加工) and monthly re-employment outcomes, and their totals per year.

Each totals function is one aggregate query, grouped by year.
"""

from decimal import Decimal

from django.db.models import Count, IntegerField, Sum
from django.db.models.functions import Coalesce, ExtractYear

from services.models import ProcessingProject, ReemploymentOutcome, TrainingClass


def completion_rate(completions: int | None, trainees: int | None) -> Decimal | None:
    """Completions as a percentage of trainees, to one decimal; None without trainees."""
    if not trainees:
        return None
    return (Decimal(completions or 0) * 100 / Decimal(trainees)).quantize(Decimal("0.1"))


def years_recorded(community) -> list[int]:
    """The years of the community's training, processing work and outcomes, newest first,
    in one query."""
    training = (
        TrainingClass.objects.filter(community=community)
        .order_by()
        .annotate(y=ExtractYear("starts_on"))
        .values_list("y")
    )
    processing = (
        ProcessingProject.objects.filter(community=community).order_by().values_list("year")
    )
    outcomes = (
        ReemploymentOutcome.objects.filter(community=community)
        .order_by()
        .annotate(y=ExtractYear("month"))
        .values_list("y")
    )
    return sorted({int(row[0]) for row in training.union(processing, outcomes)}, reverse=True)


def training_classes(community, year: int | None = None):
    rows = TrainingClass.objects.filter(community=community)
    if year:
        rows = rows.filter(starts_on__year=year)
    return rows.order_by("-starts_on", "name", "id")


def processing_projects(community, year: int | None = None):
    rows = ProcessingProject.objects.filter(community=community)
    if year:
        rows = rows.filter(year=year)
    return rows.order_by("-year", "name", "id")


def reemployment_outcomes(community, year: int | None = None):
    rows = ReemploymentOutcome.objects.filter(community=community)
    if year:
        rows = rows.filter(month__year=year)
    return rows.order_by("-month")


def _zero(field: str):
    return Coalesce(Sum(field), 0, output_field=IntegerField())


def training_totals(community, year: int | None = None) -> list[dict]:
    """Per year (of the start date): classes, trainees, completions and completion rate."""
    rows = list(
        training_classes(community, year)
        .order_by()
        .annotate(y=ExtractYear("starts_on"))
        .values("y")
        .annotate(classes=Count("id"), trainees=_zero("trainees"), completions=_zero("completions"))
        .order_by("-y")
    )
    for row in rows:
        row["rate"] = completion_rate(row["completions"], row["trainees"])
    return rows


def processing_totals(community, year: int | None = None) -> list[dict]:
    """Per year: projects, participants and income (yuan)."""
    return list(
        processing_projects(community, year)
        .order_by()
        .values("year")
        .annotate(
            projects=Count("id"), participants=_zero("participants"), income=Sum("income_yuan")
        )
        .order_by("-year")
    )


def outcome_totals(community, year: int | None = None) -> list[dict]:
    """Per year: months recorded and people re-employed."""
    return list(
        reemployment_outcomes(community, year)
        .order_by()
        .annotate(y=ExtractYear("month"))
        .values("y")
        .annotate(months=Count("id"), reemployed=_zero("reemployed"))
        .order_by("-y")
    )
