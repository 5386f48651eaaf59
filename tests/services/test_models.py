import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from services.models import (
    AdmissionRequest,
    HelperPairing,
    ServiceOutlet,
    ServiceRecord,
    TimeBankEntry,
    TrainingClass,
    Volunteer,
)
from tests.factories import make_community, make_household, make_unit, make_user, make_volunteer

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def _violates(constraint_name, create):
    """The database refuses the row, naming the constraint (SQLite names only the
    columns of a unique constraint)."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        create()
    message = str(error.value)
    return constraint_name in message or message.startswith("UNIQUE constraint failed")


def test_household_without_any_help_need_is_refused():
    assert _violates(
        "services_household_needs_some_help",
        lambda: make_household(help_hardship=False, help_medical=False, help_schooling=False),
    )


def test_household_with_one_help_need_is_saved():
    household = make_household(help_hardship=False, help_schooling=True)
    assert household.help_schooling is True


def test_household_str_is_masked():
    assert str(make_household(household_name="张三明")) == "张*明"


def test_helper_pairing_needs_exactly_one_helper_kind():
    household = make_household(community=make_community())
    volunteer = make_volunteer(community=household.community)
    unit = make_unit()
    pairing = HelperPairing(household=household, started_on=DAY)
    with pytest.raises(ValidationError) as neither:
        pairing.full_clean()
    pairing.volunteer, pairing.co_building_unit = volunteer, unit
    with pytest.raises(ValidationError) as both:
        pairing.full_clean()
    assert neither.value.messages == ["Choose either a co-building unit or a volunteer."]
    assert both.value.messages == ["Choose either a co-building unit or a volunteer."]
    assert _violates(
        "services_helper_exactly_one_kind",
        lambda: HelperPairing.objects.create(household=household, started_on=DAY),
    )
    pairing.co_building_unit = None
    pairing.save()
    assert list(household.helpers.all()) == [pairing]


def test_helper_pairing_must_end_after_it_starts():
    household = make_household()
    unit = make_unit()
    assert _violates(
        "services_helper_ends_after_start",
        lambda: HelperPairing.objects.create(
            household=household, co_building_unit=unit, started_on=DAY, ended_on=DAY
        ),
    )
    pairing = HelperPairing.objects.create(
        household=household,
        co_building_unit=unit,
        started_on=DAY,
        ended_on=DAY + datetime.timedelta(days=1),
    )
    assert pairing.ended_on == datetime.date(2026, 3, 3)


def test_training_completions_cannot_exceed_trainees():
    community = make_community()

    def create(completions):
        return TrainingClass.objects.create(
            community=community,
            name=f"家政培训{completions}",
            starts_on=DAY,
            ends_on=DAY,
            trainees=20,
            completions=completions,
        )

    assert _violates("services_training_completions_le_trainees", lambda: create(21))
    assert create(20).completions == 20


def test_refused_admission_needs_a_reason():
    county = make_user()
    request = AdmissionRequest(
        department="县民政局",
        task="低保复核",
        status=AdmissionRequest.Status.REFUSED,
        decided_by=county,
        decided_on=DAY,
    )
    with pytest.raises(ValidationError) as error:
        request.full_clean()
    assert error.value.messages == ["Give the reason for the refusal."]
    assert _violates("services_admission_refusal_has_reason", request.save)
    request.decision_reason = "未随事转经费"
    request.save()
    assert AdmissionRequest.objects.get().status == "refused"


def test_outlet_names_are_unique_per_community():
    home, other = make_community(), make_community()
    ServiceOutlet.objects.create(community=home, kind="health", name="社区卫生服务站")
    assert _violates(
        "services_outlet_name_per_community",
        lambda: ServiceOutlet.objects.create(community=home, kind="gym", name="社区卫生服务站"),
    )
    ServiceOutlet.objects.create(community=other, kind="health", name="社区卫生服务站")
    assert ServiceOutlet.objects.filter(name="社区卫生服务站").count() == 2


@pytest.mark.parametrize(
    ("hours", "allowed"),
    [
        (Decimal("0"), False),
        (Decimal("-1"), False),
        (Decimal("0.5"), True),
        (Decimal("24"), True),
        (Decimal("24.01"), False),
    ],
)
def test_service_record_hours_bounds(hours, allowed):
    volunteer = make_volunteer()
    user = make_user()

    def create():
        return ServiceRecord.objects.create(
            volunteer=volunteer, served_on=DAY, hours=hours, activity="助老", recorded_by=user
        )

    if allowed:
        assert create().hours == hours
    else:
        assert _violates("services_record_hours_range", create)


@pytest.mark.parametrize(
    ("kind", "hours", "allowed"),
    [
        ("deposit", Decimal("2"), True),
        ("deposit", Decimal("-2"), False),
        ("draw", Decimal("-2"), True),
        ("draw", Decimal("2"), False),
        ("adjustment", Decimal("-1"), True),
        ("adjustment", Decimal("0"), False),
    ],
)
def test_time_bank_entry_sign_matches_kind(kind, hours, allowed):
    volunteer = make_volunteer()
    user = make_user()

    def create():
        return TimeBankEntry.objects.create(
            volunteer=volunteer, kind=kind, hours=hours, on=DAY, created_by=user
        )

    if allowed:
        assert create().hours == hours
    else:
        assert _violates("services_timebank_sign_matches_kind", create)


def test_records_are_scoped_to_the_users_community(tree, users):
    mine = make_volunteer(community=tree["home"])
    make_volunteer(community=tree["far"])

    assert list(Volunteer.objects.visible_to(users["clerk"])) == [mine]
    assert Volunteer.objects.visible_to(users["county"]).count() == 2
