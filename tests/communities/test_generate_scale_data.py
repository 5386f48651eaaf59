import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum
from django.utils import translation

from communities.models import (
    Community,
    GovernanceBody,
    Indicator,
    IndicatorRule,
    MonthlyReturn,
    ReturnStatus,
    ReturnValue,
    Role,
    Term,
    Township,
)
from communities.returns import catalogue as indicator_catalogue
from communities.returns.checks import due_on
from communities.returns.domain import return_save
from operations.demo import ratings_2008 as chunan_2008
from operations.scale_data import MODELS, PREFIX, Options, analyze_tables, generate
from ratings.models import Criterion, CutOff, Rating, Round, Tier
from services.domain import service_record, time_bank_balance
from services.models import (
    ServiceNetwork,
    ServiceOutlet,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)
from tests.factories import make_community, make_township, make_user, make_volunteer

pytestmark = pytest.mark.django_db
POSTGRESQL = connection.vendor == "postgresql"

# April to June 2025: the default catalogue is in force from January 2025 on, except the
# co-building indicator (from 2026).
SMALL = ["--communities", "12", "--months", "3", "--until", "2025-06", "--per-township", "5"]
SMALL_OPTIONS = Options(communities=12, months=3, until=datetime.date(2025, 6, 1), per_township=5)
PERIODS = [datetime.date(2025, m, 1) for m in (4, 5, 6)]

# What each model holds, for a queryset of the synthetic rows only.
COMMUNITY_PATH = {
    Township: "code",
    Community: "code",
    GovernanceBody: "community__code",
    Term: "body__community__code",
    ServiceNetwork: "community__code",
    ServiceOutlet: "community__code",
    Volunteer: "community__code",
    ServiceRecord: "volunteer__community__code",
    TimeBankEntry: "volunteer__community__code",
    MonthlyReturn: "community__code",
    ReturnValue: "monthly_return__community__code",
    Round: "code",
    Criterion: "round__code",
    CutOff: "round__code",
    Rating: "community__code",
}


def synthetic(model):
    return model.objects.filter(**{f"{COMMUNITY_PATH[model]}__startswith": PREFIX})


def counts():
    return {model: synthetic(model).count() for model in MODELS}


def run(*args):
    out = io.StringIO()
    with translation.override("en"):
        call_command("generate_scale_data", *args, stdout=out)
    return out.getvalue()


def test_generate_scale_data_creates_exact_counts():
    result = generate(SMALL_OPTIONS)

    created = counts()
    # Seed 1 gives these figures on every machine: each community draws from its own
    # random.Random(seed, n), nothing depends on database ids or hash order.
    assert {model.__name__: count for model, count in created.items()} == {
        "Township": 3,
        "Community": 12,
        "GovernanceBody": 12,
        "Term": 12,
        "ServiceNetwork": 60,
        "ServiceOutlet": created[ServiceOutlet],
        "Volunteer": created[Volunteer],
        "ServiceRecord": created[ServiceRecord],
        "TimeBankEntry": created[ServiceRecord],
        "MonthlyReturn": 36 - result.missing_returns,
        "ReturnValue": created[ReturnValue],
        "Round": 1,
        "Criterion": len(chunan_2008.EXAMPLE_CRITERIA),
        "CutOff": len(chunan_2008.EXAMPLE_CUTOFFS),
        "Rating": created[Rating],
    }
    assert (
        created[ServiceOutlet],
        created[Volunteer],
        created[ServiceRecord],
        result.missing_returns,
        created[ReturnValue],
        created[Rating],
    ) == SEED_1_FIGURES
    assert dict(result.created) == created
    assert not result.removed


# (outlets, volunteers, service records, missing returns, values, ratings) for seed 1.
SEED_1_FIGURES = (27, 74, 174, 1, 770, 9)


def test_generate_scale_data_loads_the_catalogue_when_missing():
    assert not Indicator.objects.exists()

    generate(SMALL_OPTIONS)

    assert Indicator.objects.count() == len(indicator_catalogue.INDICATORS)
    assert IndicatorRule.objects.count() == len(indicator_catalogue.RULES)


def test_generate_scale_data_marks_everything_synthetic():
    generate(SMALL_OPTIONS)

    assert sorted(Community.objects.values_list("code", flat=True))[:2] == [
        "syn-00001",
        "syn-00002",
    ]
    assert all(code.startswith(PREFIX) for code in Community.objects.values_list("code", flat=True))
    assert all(code.startswith(PREFIX) for code in Township.objects.values_list("code", flat=True))
    assert list(Round.objects.values_list("code", flat=True)) == ["syn-2025"]
    assert Community.objects.get(code="syn-00001").name == "合成社区 00001"
    assert not Community.objects.filter(figures_are_sample=False).exists()
    assert not Township.objects.exclude(name__startswith="合成").exists()
    for model in (MonthlyReturn, Volunteer, ServiceOutlet, Term):
        assert not model.objects.filter(is_sample=False).exists(), model


def test_generate_scale_data_rerun_refuses_and_writes_nothing():
    run(*SMALL)
    before = counts()

    with pytest.raises(CommandError, match="--replace"):
        run(*SMALL)

    assert counts() == before


def test_generate_scale_data_replace_keeps_real_data():
    call_command("load_indicators", verbosity=0)
    township = make_township(code="real-town")
    community = make_community(township=township, code="real-one")
    clerk = make_user(Role.CLERK, community=community, username="clerk")
    households = Indicator.objects.get(code="households")
    real_return = return_save(
        community=community,
        period=PERIODS[0],
        values={households.pk: Decimal(900)},
        version=0,
        by=clerk,
        today=PERIODS[0],
    )
    volunteer = make_volunteer(community=community)
    service_record(
        volunteer=volunteer,
        served_on=PERIODS[0],
        hours=Decimal("2.5"),
        activity="助老",
        by=clerk,
    )
    real = {
        "townships": list(Township.objects.exclude(code__startswith=PREFIX).values()),
        "communities": list(Community.objects.exclude(code__startswith=PREFIX).values()),
        "values": list(ReturnValue.objects.filter(monthly_return=real_return).values()),
        "records": list(ServiceRecord.objects.filter(volunteer=volunteer).values()),
        "entries": list(TimeBankEntry.objects.filter(volunteer=volunteer).values()),
    }
    run(*SMALL)

    output = run(*SMALL, "--replace", "--seed", "2")

    assert "Removed the earlier synthetic data: 3 townships, 12 communities" in output
    assert real == {
        "townships": list(Township.objects.exclude(code__startswith=PREFIX).values()),
        "communities": list(Community.objects.exclude(code__startswith=PREFIX).values()),
        "values": list(ReturnValue.objects.filter(monthly_return=real_return).values()),
        "records": list(ServiceRecord.objects.filter(volunteer=volunteer).values()),
        "entries": list(TimeBankEntry.objects.filter(volunteer=volunteer).values()),
    }
    assert MonthlyReturn.objects.exclude(community__code__startswith=PREFIX).count() == 1
    assert Community.objects.filter(code__startswith=PREFIX).count() == 12
    assert Round.objects.filter(code__startswith=PREFIX).count() == 1


def test_generate_scale_data_replace_gives_the_same_data_for_the_same_seed():
    generate(SMALL_OPTIONS)
    first = fingerprint()

    result = generate(SMALL_OPTIONS, replace=True)

    assert fingerprint() == first
    assert result.removed == result.created


def test_generate_scale_data_depends_on_the_seed():
    generate(SMALL_OPTIONS)
    first = fingerprint()

    generate(Options(**{**SMALL_OPTIONS.__dict__, "seed": 2}), replace=True)

    assert fingerprint() != first


def fingerprint():
    return (
        list(
            ReturnValue.objects.order_by(
                "monthly_return__community__code", "monthly_return__period", "indicator__code"
            ).values_list(
                "monthly_return__community__code",
                "monthly_return__period",
                "monthly_return__status",
                "indicator__code",
                "value",
            )
        ),
        list(
            ServiceRecord.objects.order_by("volunteer__name", "served_on", "hours").values_list(
                "volunteer__name", "served_on", "hours", "activity"
            )
        ),
        list(
            Rating.objects.order_by("community__code").values_list(
                "community__code", "tier", "stars", "score", "rank"
            )
        ),
    )


def test_generate_scale_data_time_bank_balances_equal_service_hours():
    generate(SMALL_OPTIONS)

    volunteers = list(synthetic(Volunteer))
    assert volunteers
    for volunteer in volunteers:
        hours = ServiceRecord.objects.filter(volunteer=volunteer).aggregate(total=Sum("hours"))
        assert time_bank_balance(volunteer) == (hours["total"] or Decimal(0)).quantize(
            Decimal("0.01")
        )
    for record in synthetic(ServiceRecord).select_related("time_bank_entry"):
        entry = record.time_bank_entry
        assert (entry.kind, entry.hours, entry.on, entry.volunteer_id) == (
            TimeBankEntry.Kind.DEPOSIT,
            record.hours,
            record.served_on,
            record.volunteer_id,
        )


def test_generate_scale_data_returns_hold_every_rule():
    generate(SMALL_OPTIONS)

    indicators = {i.pk: i for i in Indicator.objects.all()}
    in_force = {
        period: set(Indicator.objects.active_in(period).values_list("pk", flat=True))
        for period in PERIODS
    }
    values = defaultdict(dict)
    for value in ReturnValue.objects.all():
        values[value.monthly_return_id][value.indicator_id] = value.value
    rules = list(IndicatorRule.objects.all())
    returns = list(MonthlyReturn.objects.all())
    assert {r.status for r in returns} >= {ReturnStatus.ACCEPTED}
    for monthly_return in returns:
        figures = values[monthly_return.pk]
        if monthly_return.status == ReturnStatus.DRAFT:
            assert set(figures) <= in_force[monthly_return.period]
        else:
            assert set(figures) == in_force[monthly_return.period]
        for pk, value in figures.items():
            indicator = indicators[pk]
            assert indicator.minimum <= value, indicator.code
            assert indicator.maximum is None or value <= indicator.maximum, indicator.code
            if indicator.value_type == Indicator.ValueType.INTEGER:
                assert value == value.to_integral_value(), indicator.code
        for rule in rules:
            if rule.left_id in figures and rule.right_id in figures:
                assert rule.holds(figures[rule.left_id], figures[rule.right_id]), rule
        assert_timestamps(monthly_return)


def assert_timestamps(monthly_return):
    status = monthly_return.status
    if status == ReturnStatus.DRAFT:
        assert monthly_return.submitted_at is None
        assert not monthly_return.is_late
        return
    submitted = monthly_return.submitted_at
    assert submitted is not None
    assert monthly_return.is_late == (submitted.date() > due_on(monthly_return.period))
    assert (monthly_return.approved_at is not None) == (
        status in (ReturnStatus.APPROVED, ReturnStatus.ACCEPTED)
    )
    assert (monthly_return.accepted_at is not None) == (status == ReturnStatus.ACCEPTED)
    if monthly_return.approved_at:
        assert submitted < monthly_return.approved_at
    if monthly_return.accepted_at:
        assert monthly_return.approved_at < monthly_return.accepted_at
    assert (monthly_return.open_until is not None) == (status == ReturnStatus.RETURNED)


def test_generate_scale_data_rows_pass_full_clean():
    generate(SMALL_OPTIONS)

    for model in MODELS:
        rows = list(synthetic(model))
        assert rows, model
        for row in rows:
            # Every field validator, clean(), and every check and unique constraint.
            row.full_clean()


def test_generate_scale_data_ratings_are_ranked_within_their_tier():
    generate(SMALL_OPTIONS)

    ratings = list(Rating.objects.order_by("tier", "rank", "-score"))
    assert ratings
    by_tier = defaultdict(list)
    for rating in ratings:
        by_tier[rating.tier].append(rating)
    for rows in by_tier.values():
        assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
        assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True)
    assert {r.tier for r in ratings} <= set(Tier)
    assert {r.valid_until for r in ratings} == {datetime.date(2027, 12, 31)}


def test_generate_scale_data_prints_progress_and_a_summary():
    output = run(*SMALL, "--chunk", "5")

    lines = output.splitlines()
    # On PostgreSQL the tables written are analysed at the end, with a line of its own.
    analysed = ["planner statistics (ANALYZE) of 15 tables"] if POSTGRESQL else []
    assert [line.split(" … ")[0] for line in lines[:-1]] == [
        "communities 5/12",
        "communities 10/12",
        "communities 12/12",
        *analysed,
    ]
    assert lines[-1].startswith("Synthetic data generated in ")
    assert ": 3 townships, 12 communities, 12 governance bodies, 12 terms, 60 service " in lines[-1]
    assert lines[-1].endswith("community-months without a return.")


@pytest.mark.skipif(not POSTGRESQL, reason="ANALYZE and pg_class are PostgreSQL's")
def test_generate_scale_data_analyzes_the_tables_it_wrote():
    notes = []

    with translation.override("en"):
        generate(SMALL_OPTIONS, note=notes.append)

    tables = sorted(model._meta.db_table for model in MODELS)
    with connection.cursor() as cursor:
        # ANALYZE sets pg_class.reltuples (-1 or 0 before), also inside this transaction.
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
            [tables],
        )
        estimates = dict(cursor.fetchall())
    assert sorted(estimates) == tables
    assert estimates["communities_community"] == 12
    assert estimates["communities_township"] == 3
    assert [note.split(" … ")[0] for note in notes] == [
        f"planner statistics (ANALYZE) of {len(tables)} tables"
    ]


def test_generate_scale_data_analyzes_only_on_postgresql():
    notes = []

    generate(SMALL_OPTIONS, note=notes.append)

    assert analyze_tables(MODELS) == (len(MODELS) if POSTGRESQL else 0)
    assert len(notes) == (1 if POSTGRESQL else 0)


def test_generate_scale_data_chunk_size_changes_nothing():
    generate(Options(**{**SMALL_OPTIONS.__dict__, "chunk": 5}))
    chunked = fingerprint()

    generate(SMALL_OPTIONS, replace=True)

    assert fingerprint() == chunked


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--communities", "0", "--months", "3"], "--communities must be between 1 and 50000"),
        (["--communities", "-4", "--months", "3"], "--communities must be between 1 and 50000"),
        (["--communities", "50001", "--months", "3"], "--communities must be between 1"),
        (["--communities", "3", "--months", "0"], "--months must be between 1 and 120"),
        (["--communities", "3", "--months", "121"], "--months must be between 1 and 120"),
        (["--communities", "3", "--months", "1", "--until", "2025-13"], "YYYY-MM"),
        (["--communities", "3", "--months", "1", "--until", "2100-01"], "before the current"),
        (["--communities", "3", "--months", "1", "--per-township", "0"], "--per-township"),
    ],
)
def test_generate_scale_data_bad_arguments_are_refused(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)

    assert not Community.objects.exists()
    assert not Indicator.objects.exists()
