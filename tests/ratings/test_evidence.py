import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from communities.models import FacilityKind, GovernanceBody, ReturnStatus
from ratings.evidence import evidence_for, returns_year, review_day, round_evidence
from ratings.models import Declaration, Round, Tier
from ratings.scoring import Finding
from tests.factories import make_body, make_community, make_facility, make_return, make_term

pytestmark = pytest.mark.django_db

MEETING = datetime.date(2026, 1, 20)
SUBMITTED_OR_LATER = [ReturnStatus.SUBMITTED, ReturnStatus.APPROVED, ReturnStatus.ACCEPTED]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def make_round(**kwargs) -> Round:
    kwargs.setdefault("code", "2026")
    kwargs.setdefault("year", 2026)
    kwargs.setdefault("name", "2026年度")
    kwargs.setdefault("review_meeting_on", MEETING)
    return Round.objects.create(**kwargs)


def declare(round, community, **kwargs) -> Declaration:
    kwargs.setdefault("target_tier", Tier.NORMATIVE)
    kwargs.setdefault("status", Declaration.Status.SUBMITTED)
    return Declaration.objects.create(round=round, community=community, **kwargs)


def make_facilities(community, kinds=FacilityKind.values):
    for kind in kinds:
        make_facility(community=community, kind=kind)


def make_returns(community, year=2025, statuses=SUBMITTED_OR_LATER):
    for month in range(1, 13):
        status = statuses[(month - 1) % len(statuses)]
        make_return(community=community, period=datetime.date(year, month, 1), status=status)


def committee_term(community, starts_on, ends_on):
    body, _created = GovernanceBody.objects.get_or_create(
        community=community,
        kind=GovernanceBody.Kind.RESIDENTS_COMMITTEE,
        defaults={"name": f"{community.name}居委会"},
    )
    return make_term(body=body, starts_on=starts_on, ends_on=ends_on)


def findings(community, round=None):
    round = round or make_round()
    declare(round, community)
    return round_evidence(round)[community.pk]


def test_facilities_all_nine_present():
    community = make_community()
    make_facilities(community)

    assert findings(community)["facilities"] == Finding(True, "9 of 9 facilities")


def test_facilities_one_missing_and_one_not_present():
    community = make_community()
    kinds = [k for k in FacilityKind.values if k not in ("police_room", "medical_station")]
    make_facilities(community, kinds)
    make_facility(community=community, kind="medical_station", present=False, area_m2=None)

    assert findings(community)["facilities"] == Finding(
        False, "7 of 9 facilities; missing: Police room, Community medical station"
    )


def test_space_standard_met():
    community = make_community(households=1740, premises_area_m2=Decimal("380.0"))

    assert findings(community)["space"] == Finding(True, "348 m² required, 380 m² present")


def test_space_standard_not_met():
    community = make_community(households=2001, premises_area_m2=Decimal("400.0"))

    assert findings(community)["space"] == Finding(False, "400.2 m² required, 400 m² present")


def test_term_covering_the_review_meeting():
    community = make_community()
    committee_term(community, datetime.date(2021, 2, 13), datetime.date(2024, 2, 12))
    committee_term(community, datetime.date(2024, 2, 13), datetime.date(2027, 2, 12))

    assert findings(community)["terms"] == Finding(True, "term ends 12 February 2027")


def test_term_ends_on_the_meeting_day_still_covers_it():
    community = make_community()
    committee_term(community, datetime.date(2021, 1, 20), MEETING)

    assert findings(community)["terms"] == Finding(True, "term ends 20 January 2026")


def test_term_ended_before_the_meeting():
    community = make_community()
    committee_term(community, datetime.date(2020, 6, 1), datetime.date(2025, 6, 1))

    assert findings(community)["terms"] == Finding(False, "term ended 1 June 2025")


def test_term_starting_after_the_meeting():
    community = make_community()
    committee_term(community, datetime.date(2026, 3, 1), datetime.date(2031, 3, 1))

    assert findings(community)["terms"] == Finding(
        False, "term starts 1 March 2026, after the review meeting"
    )


def test_term_of_another_body_does_not_count():
    community = make_community()
    party = make_body(community=community, kind=GovernanceBody.Kind.PARTY)
    make_term(body=party, starts_on=datetime.date(2024, 1, 1), ends_on=datetime.date(2029, 1, 1))

    assert findings(community)["terms"] == Finding(
        False, "no term of the residents' committee recorded"
    )


def test_returns_complete_for_the_year_before_the_round():
    community = make_community()
    make_returns(community)

    assert findings(community)["returns"] == Finding(True, "12 of 12 months submitted (2025)")


def test_returns_draft_returned_and_other_years_do_not_count():
    community = make_community()
    make_returns(community, statuses=[*SUBMITTED_OR_LATER * 3, ReturnStatus.ACCEPTED])
    community.returns.filter(period=datetime.date(2025, 4, 1)).update(status=ReturnStatus.DRAFT)
    community.returns.filter(period=datetime.date(2025, 9, 1)).update(status=ReturnStatus.RETURNED)
    make_return(community=community, period=datetime.date(2026, 1, 1), status="submitted")
    make_return(community=community, period=datetime.date(2024, 12, 1), status="accepted")

    assert findings(community)["returns"] == Finding(False, "10 of 12 months submitted (2025)")


def test_round_evidence_leaves_out_withdrawn_declarations():
    round = make_round()
    kept, withdrawn = make_community(), make_community()
    declare(round, kept)
    declare(round, withdrawn, status=Declaration.Status.WITHDRAWN)

    assert set(round_evidence(round)) == {kept.pk}


def test_review_day_and_returns_year_of_the_round():
    round = make_round(code="2008", year=2008, review_meeting_on=datetime.date(2008, 1, 18))

    assert (review_day(round), returns_year(round)) == (datetime.date(2008, 1, 18), 2007)


def test_evidence_for_a_community_with_nothing_recorded():
    community = make_community(households=0, premises_area_m2=Decimal(0))

    assert evidence_for([community.pk], on=MEETING, returns_year=2025)[community.pk] == {
        "facilities": Finding(
            False,
            "0 of 9 facilities; missing: Party-building room, Residents' committee office, "
            "Police room, Youth activity room, Elderly activity room, "
            "Social-security service station, Community medical station, Citizens' school, "
            "Cultural and sports venue",
        ),
        "space": Finding(True, "0 m² required, 0 m² present"),
        "terms": Finding(False, "no term of the residents' committee recorded"),
        "returns": Finding(False, "0 of 12 months submitted (2025)"),
    }


@pytest.mark.parametrize("count", [3, 30])
def test_round_evidence_query_count_does_not_grow(count, django_assert_num_queries):
    round = make_round()
    for n in range(count):
        community = make_community()
        make_facilities(community, FacilityKind.values[: n % 10])
        committee_term(community, datetime.date(2024, 2, 13), datetime.date(2027, 2, 12))
        make_return(community=community, period=datetime.date(2025, 5, 1), status="submitted")
        declare(round, community)

    with django_assert_num_queries(2):
        evidence = round_evidence(round)

    assert len(evidence) == count
    assert sum(e["facilities"].met for e in evidence.values()) == len(range(9, count, 10))
    assert {e["returns"].detail for e in evidence.values()} == {"1 of 12 months submitted (2025)"}
