"""The sample records of the services loaded by `load_chunan --demo-accounts`.

The demo is loaded once for the module, on DEMO_DAY (in a transaction rolled back at the
end); each test runs in its own savepoint on top of it. The first test runs before it is
loaded. Loads on other days: tests/communities/test_demo_calendar.py.
"""

import datetime
import re
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import translation

from communities.models import Community, MonthlyReturn, ReturnValue
from communities.returns.prefill import prefill_for
from operations.demo.chunan_facts import DemoCalendar, sample_figures
from services.domain import time_bank_balance
from services.models import (
    AdmissionRequest,
    AssistanceVisit,
    AssistedHousehold,
    Commendation,
    HelperPairing,
    ProcessingProject,
    ReemploymentOutcome,
    ServiceRecord,
    TimeBankEntry,
    TrainingClass,
    Volunteer,
)

pytestmark = pytest.mark.django_db

D = datetime.date
DEMO_DAY = datetime.datetime.fromisoformat("2026-11-25T10:00+08:00")
CALENDAR = DemoCalendar(today=DEMO_DAY.date())
OCTOBER = D(2026, 10, 1)  # the last closed month on DEMO_DAY
OCTOBER_END = D(2026, 10, 31)
FAKE_PHONE = re.compile(r"1\d\d-0000-\d{4}")
# The figures a return takes from the service records (services.prefill).
PREFILLED = [
    "households_in_difficulty_paired",
    "help_visits_hardship",
    "help_visits_medical",
    "help_visits_schooling",
    "registered_volunteers",
    "inservice_party_members",
    "volunteer_hours",
    "training_classes",
    "trainees",
    "reemployed",
]
SAMPLE_MODELS = [
    Volunteer,
    AssistedHousehold,
    HelperPairing,
    AssistanceVisit,
    ServiceRecord,
    TimeBankEntry,
    TrainingClass,
    ProcessingProject,
    ReemploymentOutcome,
    AdmissionRequest,
    Commendation,
]


def _counts():
    return {model.__name__: model.objects.count() for model in SAMPLE_MODELS}


def _load():
    out = StringIO()
    with translation.override("en"):
        call_command("load_chunan", demo_accounts=True, stdout=out)
    return out.getvalue().splitlines()[0]


def test_demo_data_needs_the_demo_accounts():
    call_command("load_chunan", verbosity=0)

    assert set(_counts().values()) == {0}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        time_machine.travel(DEMO_DAY, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("load_chunan", demo_accounts=True, verbosity=0)
        yield
        transaction.set_rollback(True)


def test_demo_data_loads_the_sample_records(demo):
    figures = {
        (code, period): sample_figures(code, period)
        for code in Community.objects.values_list("code", flat=True)
        for period in CALENDAR.months
    }
    per_community = dict(
        Community.objects.annotate(
            volunteer_count=Count(
                "volunteers", filter=Q(volunteers__registered_on__lte=OCTOBER_END)
            )
        ).values_list("code", "volunteer_count")
    )

    counts = _counts()
    assert {name: counts[name] for name in ("ReemploymentOutcome", "TrainingClass")} == {
        "ReemploymentOutcome": 10 * 22,
        "TrainingClass": sum(int(f["training_classes"]) for f in figures.values()),
    }
    assert counts["TimeBankEntry"] == counts["ServiceRecord"] + 1  # the one draw
    assert {name: counts[name] for name in ("ProcessingProject", "AdmissionRequest")} == {
        "ProcessingProject": 20,
        "AdmissionRequest": 4,
    }
    assert counts["Commendation"] == 6
    # Every volunteer the October return counts, and no other.
    assert per_community == {
        code: figures[code, OCTOBER]["registered_volunteers"] for code in per_community
    }
    assert Volunteer.objects.filter(registered_on__gt=DEMO_DAY.date()).count() == 0


def test_demo_data_second_run_creates_nothing(demo):
    before = _counts()

    summary = _load()

    assert _counts() == before
    assert summary.startswith("Chun'an data loaded: 0 created, 0 updated, ")


def test_demo_data_every_row_with_a_sample_flag_is_sample(demo):
    flagged = [
        model
        for model in apps.get_app_config("services").get_models()
        if any(field.name == "is_sample" for field in model._meta.fields)
    ]

    found = {
        model.__name__: set(model.objects.values_list("is_sample", flat=True)) for model in flagged
    }

    assert found == {
        "ServiceOutlet": {True},
        "AssistedHousehold": {True},
        "HistoricalAssistedHousehold": {True},
        "Volunteer": {True},
        "HistoricalVolunteer": {True},
        "TrainingClass": {True},
        "ProcessingProject": {True},
        "ReemploymentOutcome": {True},
        "AdmissionRequest": {True},
        "HistoricalAdmissionRequest": {True},
        "Commendation": {True},
    }


def test_demo_data_has_no_plausible_real_phone_number(demo):
    phones = [
        *Volunteer.objects.values_list("phone", flat=True),
        *AssistedHousehold.objects.values_list("phone", flat=True),
    ]
    given = [phone for phone in phones if phone]

    assert len(given) > len(phones) // 2
    assert [phone for phone in given if not FAKE_PHONE.fullmatch(phone)] == []
    assert len(set(given)) == len(given)
    assert set(
        apps.get_model("services", "ServiceOutlet").objects.values_list("contact", flat=True)
    ) == {""}


def test_demo_data_service_records_deposit_their_hours(demo):
    deposits = TimeBankEntry.objects.filter(kind=TimeBankEntry.Kind.DEPOSIT)

    assert deposits.count() == ServiceRecord.objects.count()
    assert deposits.filter(service_record__isnull=True).count() == 0
    assert [
        (e.hours, e.service_record.hours)
        for e in deposits.select_related("service_record")
        if e.hours != e.service_record.hours
    ] == []
    draw = TimeBankEntry.objects.get(kind=TimeBankEntry.Kind.DRAW)
    assert (draw.volunteer.community.code, draw.hours, draw.on) == (
        "xiyuan",
        Decimal("-2.00"),
        D(2026, 10, 28),
    )
    deposited = ServiceRecord.objects.filter(volunteer=draw.volunteer).aggregate(h=Sum("hours"))
    assert time_bank_balance(draw.volunteer) == deposited["h"] - 2
    assert draw.volunteer.kind == Volunteer.Kind.RESIDENT
    assert draw.created_by.username == "demo_clerk"
    assert set(
        ServiceRecord.objects.exclude(volunteer__community__code="xiyuan").values_list(
            "recorded_by__username", flat=True
        )
    ) == {"chunan-loader"}


def test_demo_data_admission_requests_in_every_state(demo):
    statuses = Counter(AdmissionRequest.objects.values_list("status", flat=True))
    refused = AdmissionRequest.objects.get(status="refused")

    assert statuses == {"approved": 2, "refused": 1, "submitted": 1}
    assert "费随事转" in refused.decision_reason
    assert refused.decided_by.username == "demo_county"
    assert AdmissionRequest.objects.get(department="县统计局").communities.count() == 8
    assert set(Commendation.objects.values_list("year", flat=True)) == {2008}
    # Received on paper before the decision; the open one last month.
    assert sorted(AdmissionRequest.objects.values_list("status", "received_on", "decided_on")) == [
        ("approved", D(2026, 1, 20), D(2026, 2, 10)),
        ("approved", D(2026, 3, 30), D(2026, 4, 20)),
        ("refused", D(2026, 5, 18), D(2026, 6, 8)),
        ("submitted", D(2026, 10, 20), None),
    ]


def test_demo_data_prefills_xiyuans_october(demo):
    """The month the demo clerk has still to enter starts from the service records."""
    xiyuan = Community.objects.get(code="xiyuan")
    sample = sample_figures("xiyuan", OCTOBER)

    figures = prefill_for(xiyuan, OCTOBER)

    assert figures == {code: sample[code] for code in PREFILLED}
    assert min(figures.values()) > 0
    assert not MonthlyReturn.objects.filter(community=xiyuan, period=OCTOBER).exists()


def test_demo_data_training_and_reemployment_agree_with_the_sample_returns(demo):
    classes = TrainingClass.objects.values(
        "community__code", "starts_on__year", "starts_on__month"
    ).annotate(classes=Count("pk"), trainees=Sum("trainees"))
    for row in classes:
        period = D(row["starts_on__year"], row["starts_on__month"], 1)
        expected = sample_figures(row["community__code"], period)
        assert (row["classes"], row["trainees"]) == (
            expected["training_classes"],
            expected["trainees"],
        )
    stored = {
        (code, period): value
        for code, period, value in ReturnValue.objects.filter(
            indicator__code="reemployed", value__isnull=False
        ).values_list("monthly_return__community__code", "monthly_return__period", "value")
    }
    outcomes = {
        (code, month): Decimal(reemployed)
        for code, month, reemployed in ReemploymentOutcome.objects.values_list(
            "community__code", "month", "reemployed"
        )
    }
    assert len(stored) == 10 * 22 - 2  # not started: 2 (a draft keeps this required figure)
    assert {key: outcomes[key] for key in stored} == stored


@pytest.mark.parametrize("period", CALENDAR.months, ids=lambda period: f"{period:%Y-%m}")
def test_demo_data_records_give_the_sample_returns_figures(demo, period):
    """A community that keeps its records in the portal: what they give for each month the
    records cover is what its sample return says (or will say), on every prefilled figure."""
    found, expected = {}, {}
    for community in Community.objects.order_by("code"):
        found[community.code] = prefill_for(community, period)
        figures = sample_figures(community.code, period)
        expected[community.code] = {code: figures[code] for code in PREFILLED}

    assert found == expected


def test_demo_data_sessions_and_pairings_are_plausible(demo):
    hours = set(ServiceRecord.objects.values_list("hours", flat=True))
    late = ServiceRecord.objects.filter(served_on__lt=F("volunteer__registered_on"))
    helpers_late = HelperPairing.objects.filter(started_on__lt=F("volunteer__registered_on"))
    names = list(Volunteer.objects.values_list("community_id", "name"))

    assert hours == {Decimal(n) / 2 for n in range(1, 9)}
    assert not late.exists()
    assert not helpers_late.exists()
    assert len(set(names)) == len(names)
    assert {len(name) for _community, name in names} == {2, 3}
    # This month's records so far, none after the day.
    assert ServiceRecord.objects.filter(served_on__gte=D(2026, 11, 1)).exists()
    assert not ServiceRecord.objects.filter(served_on__gt=DEMO_DAY.date()).exists()
    assert not AssistanceVisit.objects.filter(visited_on__gt=DEMO_DAY.date()).exists()
    assert not ServiceRecord.objects.filter(served_on__lt=D(2025, 1, 1)).exists()
