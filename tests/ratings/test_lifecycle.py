import datetime

import pytest
from django.urls import reverse

from ratings import domain
from ratings.models import Round, RoundEvent, RoundStatus
from tests.ratings.factories import make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

TODAY = datetime.date(2026, 3, 2)


def test_round_advance_records_each_move_up_to_the_notice(users):
    round_ = make_round()
    moves = domain.ROUND_FLOW[1 : domain.ROUND_FLOW.index(RoundStatus.NOTICE) + 1]
    for to in moves:
        round_ = domain.round_advance(round=round_, to=to, by=users["county"], today=TODAY)

    assert round_.status == RoundStatus.NOTICE
    events = list(RoundEvent.objects.filter(round=round_).values_list("from_status", "to_status"))
    assert events == list(zip(domain.ROUND_FLOW[:-3], moves, strict=True))
    assert set(RoundEvent.objects.values_list("by", flat=True)) == {users["county"].pk}


def test_round_advance_final_to_archived(users):
    round_ = make_round(status=RoundStatus.FINAL)

    round_ = domain.round_advance(round=round_, to=RoundStatus.ARCHIVED, by=users["county"])

    assert Round.objects.get(pk=round_.pk).status == RoundStatus.ARCHIVED


def test_round_advance_wrong_order_refused(users):
    round_ = make_round(status=RoundStatus.DECLARATIONS_OPEN)

    with pytest.raises(domain.RatingRefused) as refused:
        domain.round_advance(round=round_, to=RoundStatus.REVIEW, by=users["county"])

    assert refused.value.message == (
        "The round is at “Declarations open”: it can only move on to “Declarations closed”."
    )
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.DECLARATIONS_OPEN
    assert not RoundEvent.objects.exists()


def test_round_advance_archived_refused(users):
    round_ = make_round(status=RoundStatus.ARCHIVED)

    with pytest.raises(domain.RatingRefused):
        domain.round_advance(round=round_, to=RoundStatus.ARCHIVED, by=users["county"])


@pytest.mark.parametrize("role", ["township", "clerk", "judge", "no_role"])
def test_round_advance_non_county_refused(users, role):
    round_ = make_round()

    with pytest.raises(domain.RatingRefused) as refused:
        domain.round_advance(round=round_, to=RoundStatus.DECLARATIONS_OPEN, by=users[role])

    assert refused.value.message == "Only county civil-affairs staff move a round on."
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.PLANNED


def test_round_advance_notice_sets_dates(users):
    round_ = make_round(status=RoundStatus.RANKING, notice_days=7)

    round_ = domain.round_advance(
        round=round_, to=RoundStatus.NOTICE, by=users["county"], today=TODAY
    )

    assert (round_.notice_starts_on, round_.notice_ends_on) == (
        TODAY,
        datetime.date(2026, 3, 8),
    )


def test_round_advance_open_and_close_declarations_set_dates(users):
    round_ = make_round()

    domain.round_advance(
        round=round_, to=RoundStatus.DECLARATIONS_OPEN, by=users["county"], today=TODAY
    )
    later = TODAY + datetime.timedelta(days=20)
    round_ = domain.round_advance(
        round=round_, to=RoundStatus.DECLARATIONS_CLOSED, by=users["county"], today=later
    )

    assert (round_.declarations_open_on, round_.declarations_close_on) == (TODAY, later)


def test_round_advance_racing_moves_give_one_event(users):
    # Two people press "move on" on the same page: both forms name the same next stage.
    first = make_round(status=RoundStatus.DECLARATIONS_OPEN)
    second = Round.objects.get(pk=first.pk)

    domain.round_advance(round=first, to=RoundStatus.DECLARATIONS_CLOSED, by=users["county"])
    with pytest.raises(domain.RatingRefused):
        domain.round_advance(round=second, to=RoundStatus.DECLARATIONS_CLOSED, by=users["county"])

    assert RoundEvent.objects.filter(round=first).count() == 1
    assert Round.objects.get(pk=first.pk).status == RoundStatus.DECLARATIONS_CLOSED


# ---------- Pages ----------


def test_staff_round_list_anonymous_sent_to_login(client):
    response = client.get(reverse("ratings:staff_round_list"))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_staff_round_list_no_role_404(client, users):
    client.force_login(users["no_role"])

    assert client.get(reverse("ratings:staff_round_list")).status_code == 404


def test_staff_round_list_county_sees_all_with_next_stage(client, users):
    planned = make_round(code="r-planned")
    make_round(code="r-review", status=RoundStatus.REVIEW)
    client.force_login(users["county"])

    response = client.get(reverse("ratings:staff_round_list"))

    assert [r.code for r in response.context["rounds"]] == sorted(
        ["r-planned", "r-review"], reverse=True
    )
    assert planned.code in response.content.decode()
    assert "Move on to “Declarations open”…" in response.content.decode()


def test_staff_round_list_judge_sees_assigned_only(client, users):
    from tests.ratings.factories import make_assignment

    mine = make_round(code="mine")
    make_round(code="not-mine")
    make_assignment(round=mine, judge=users["judge"])
    client.force_login(users["judge"])

    response = client.get(reverse("ratings:staff_round_list"))

    assert [r.code for r in response.context["rounds"]] == ["mine"]


def test_staff_round_advance_confirms_then_moves(client, users):
    round_ = make_round(code="r1")
    client.force_login(users["county"])
    url = reverse("ratings:staff_round_advance", kwargs={"code": "r1"})

    confirm = client.post(url, {"to": "declarations_open"})
    assert confirm.status_code == 200
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.PLANNED

    moved = client.post(url, {"to": "declarations_open", "confirm": "1", "note": "开始申报"})
    assert moved.status_code == 302
    event = RoundEvent.objects.get(round=round_)
    assert (event.to_status, event.note, event.by) == (
        "declarations_open",
        "开始申报",
        users["county"],
    )


def test_staff_round_advance_township_404(client, users):
    make_round(code="r1", status=RoundStatus.DECLARATIONS_OPEN)
    client.force_login(users["township"])

    response = client.post(
        reverse("ratings:staff_round_advance", kwargs={"code": "r1"}),
        {"to": "declarations_closed", "confirm": "1"},
    )

    assert response.status_code == 404
    assert not RoundEvent.objects.exists()


def test_staff_round_detail_public_never_sees(client, users):
    make_round(code="r1", status=RoundStatus.DECLARATIONS_OPEN)
    client.force_login(users["no_role"])

    assert (
        client.get(reverse("ratings:staff_round_detail", kwargs={"code": "r1"})).status_code == 404
    )
