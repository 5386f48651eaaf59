"""services.domain.service_record_batch: paper slips typed in the office, all or none."""

import datetime
from decimal import Decimal

import pytest

from services.domain import SessionRejected, service_record_batch, time_bank_balance
from services.models import ServiceRecord, TimeBankEntry
from tests.factories import make_community, make_household, make_user, make_volunteer

pytestmark = pytest.mark.django_db


def _session(volunteer, hours, **kwargs):
    kwargs.setdefault("served_on", datetime.date(2026, 3, 1))
    kwargs.setdefault("activity", "助老服务")
    return {"volunteer": volunteer, "hours": Decimal(hours), **kwargs}


def test_batch_records_every_session_and_deposits_its_hours():
    clerk, volunteer = make_user(), make_volunteer()

    records = service_record_batch(
        sessions=[_session(volunteer, "1.5"), _session(volunteer, "2")], by=clerk
    )

    assert [record.hours for record in records] == [Decimal("1.5"), Decimal("2")]
    assert TimeBankEntry.objects.filter(kind="deposit").count() == 2
    assert time_bank_balance(volunteer) == Decimal("3.50")


def test_batch_with_one_invalid_session_saves_nothing_and_says_which():
    clerk, volunteer = make_user(), make_volunteer()
    elsewhere = make_household(community=make_community())

    with pytest.raises(SessionRejected) as rejected:
        service_record_batch(
            sessions=[
                _session(volunteer, "1"),
                _session(volunteer, "1", household=elsewhere),
                _session(volunteer, "30"),
            ],
            by=clerk,
        )

    assert rejected.value.index == 1
    assert rejected.value.error.message_dict == {
        "household": ["Choose a household of the volunteer's own community."]
    }
    assert (ServiceRecord.objects.count(), TimeBankEntry.objects.count()) == (0, 0)
