import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from chunan_community.errors import Refused
from ratings import domain
from ratings.models import ROUND_FLOW, Round, RoundEvent, RoundStatus
from tests.html import error_summary_at_top
from tests.ratings.factories import make_round

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

TODAY = datetime.date(2026, 3, 2)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_round_advance_records_each_move_up_to_the_notice(users):
    round_ = make_round(contact_phone="0571-65021234", contact_address="千岛湖镇新安东路1号")
    moves = ROUND_FLOW[1 : ROUND_FLOW.index(RoundStatus.NOTICE) + 1]
    for to in moves:
        round_ = domain.round_advance(round=round_, to=to, by=users["county"], today=TODAY)

    assert round_.status == RoundStatus.NOTICE
    events = list(RoundEvent.objects.filter(round=round_).values_list("from_status", "to_status"))
    assert events == list(zip(ROUND_FLOW[:-3], moves, strict=True))
    assert set(RoundEvent.objects.values_list("by", flat=True)) == {users["county"].pk}


def test_round_advance_final_to_archived(users):
    round_ = make_round(status=RoundStatus.FINAL)

    round_ = domain.round_advance(round=round_, to=RoundStatus.ARCHIVED, by=users["county"])

    assert Round.objects.get(pk=round_.pk).status == RoundStatus.ARCHIVED


def test_round_advance_wrong_order_refused(users):
    round_ = make_round(status=RoundStatus.DECLARATIONS_OPEN)

    with pytest.raises(Refused) as refused:
        domain.round_advance(round=round_, to=RoundStatus.REVIEW, by=users["county"])

    assert refused.value.message == (
        "The round is at “Declarations open”: it can only move on to “Declarations closed”."
    )
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.DECLARATIONS_OPEN
    assert not RoundEvent.objects.exists()


def test_round_advance_archived_refused(users):
    round_ = make_round(status=RoundStatus.ARCHIVED)

    with pytest.raises(Refused):
        domain.round_advance(round=round_, to=RoundStatus.ARCHIVED, by=users["county"])


@pytest.mark.parametrize("role", ["township", "clerk", "judge", "no_role"])
def test_round_advance_non_county_refused(users, role):
    round_ = make_round()

    with pytest.raises(Refused) as refused:
        domain.round_advance(round=round_, to=RoundStatus.DECLARATIONS_OPEN, by=users[role])

    assert refused.value.message == "Only county civil-affairs staff move a round on."
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.PLANNED


def test_round_advance_notice_sets_dates(users):
    round_ = make_round(
        status=RoundStatus.RANKING,
        notice_days=7,
        contact_phone="0571-65021234",
        contact_address="千岛湖镇新安东路1号",
    )

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
    with pytest.raises(Refused):
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


# ---------- The round's own dates and what a user may do ----------

CLOSES = datetime.date(2026, 3, 10)


def test_round_advance_closing_declarations_before_their_date_needs_a_second_yes(tree, users):
    round_ = make_round(
        status=RoundStatus.DECLARATIONS_OPEN,
        declarations_open_on=datetime.date(2026, 2, 1),
        declarations_close_on=CLOSES,
    )

    with pytest.raises(Refused) as refused:
        domain.round_advance(
            round=round_, to=RoundStatus.DECLARATIONS_CLOSED, by=users["county"], today=TODAY
        )
    assert refused.value.message == (
        "Declarations are due to close on 10 March 2026, 8 days from today. "
        "Confirm that the round moves on all the same, or wait for the date."
    )
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.DECLARATIONS_OPEN

    moved = domain.round_advance(
        round=round_,
        to=RoundStatus.DECLARATIONS_CLOSED,
        by=users["county"],
        today=TODAY,
        despite_dates=True,
    )
    assert moved.status == RoundStatus.DECLARATIONS_CLOSED


def test_round_advance_after_the_closing_date_needs_no_second_yes(tree, users):
    round_ = make_round(status=RoundStatus.DECLARATIONS_OPEN, declarations_close_on=CLOSES)

    moved = domain.round_advance(
        round=round_,
        to=RoundStatus.DECLARATIONS_CLOSED,
        by=users["county"],
        today=CLOSES + datetime.timedelta(days=1),
    )

    assert moved.status == RoundStatus.DECLARATIONS_CLOSED


def test_move_check_closing_declarations_says_who_has_not_declared(tree, users):
    from tests.ratings.factories import make_declaration

    round_ = make_round(status=RoundStatus.DECLARATIONS_OPEN, declarations_close_on=CLOSES)
    make_declaration(round=round_, community=tree["home"])
    make_declaration(round=round_, community=tree["far"], status="draft")

    check = domain.move_check(round_, RoundStatus.DECLARATIONS_CLOSED, today=TODAY)

    assert check.facts == (
        "2 of 3 communities have not submitted a declaration.",
        "1 declaration is a draft that was never submitted: it will not be reviewed.",
    )
    assert check.warnings == ("Declarations are due to close on 10 March 2026, 8 days from today.",)


def test_round_advance_notice_before_the_review_meeting_needs_a_second_yes(users):
    round_ = make_round(
        status=RoundStatus.RANKING,
        review_meeting_on=datetime.date(2026, 3, 5),
        contact_phone="0571-65021234",
        contact_address="千岛湖镇新安东路1号",
    )

    with pytest.raises(Refused) as refused:
        domain.round_advance(round=round_, to=RoundStatus.NOTICE, by=users["county"], today=TODAY)

    assert refused.value.message.startswith(
        "The review meeting is set for 5 March 2026, 3 days from today: the notice would "
        "announce results before the meeting that decides them."
    )
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.RANKING


@pytest.mark.parametrize(
    ("phone", "address"), [("", ""), ("0571-65021234", ""), ("", "千岛湖镇新安东路1号")]
)
def test_round_advance_notice_without_its_contacts_refused(users, phone, address):
    round_ = make_round(status=RoundStatus.RANKING, contact_phone=phone, contact_address=address)

    with pytest.raises(Refused) as refused:
        domain.round_advance(round=round_, to=RoundStatus.NOTICE, by=users["county"], today=TODAY)

    assert refused.value.message == (
        "Give the telephone number and the address for written objections before the "
        "public notice opens: the notice prints them."
    )
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.RANKING


def test_round_open_notice_records_its_contacts(users):
    round_ = make_round(status=RoundStatus.RANKING)

    opened = domain.round_open_notice(
        round=round_,
        by=users["county"],
        contact_phone=" 0571-65021234 ",
        contact_address="淳安县民政局（千岛湖镇新安东路1号）",
        today=TODAY,
    )

    assert (opened.status, opened.contact_phone, opened.contact_address) == (
        RoundStatus.NOTICE,
        "0571-65021234",
        "淳安县民政局（千岛湖镇新安东路1号）",
    )


def test_round_actions_county_confirms_only_after_the_notice(users):
    round_ = make_round(
        status=RoundStatus.NOTICE,
        notice_starts_on=datetime.date(2026, 2, 24),
        notice_ends_on=TODAY,
    )

    during = domain.round_actions(round_, users["county"], today=TODAY)
    after = domain.round_actions(round_, users["county"], today=TODAY + datetime.timedelta(days=1))

    assert during.move == domain.Move(
        "confirm",
        RoundStatus.FINAL,
        False,
        "The public notice runs until 2 March 2026: the results can be confirmed after it.",
    )
    assert after.move == domain.Move("confirm", RoundStatus.FINAL, True)
    assert (during.moderate, during.change_panel) == (True, False)


@pytest.mark.parametrize(
    ("who", "kind"), [("county", "close_scoring"), ("chair", "close_scoring"), ("judge", None)]
)
def test_round_actions_at_the_review_meeting(users, who, kind):
    from communities.models import Role
    from tests.factories import make_user
    from tests.ratings.factories import make_assignment

    round_ = make_round(status=RoundStatus.REVIEW)
    chair = make_user(Role.JUDGE, username="chair")
    make_assignment(round=round_, judge=chair, is_chair=True)
    make_assignment(round=round_, judge=users["judge"])
    user = chair if who == "chair" else users[who]

    move = domain.round_actions(round_, user).move

    assert (move.kind if move else None) == kind


@pytest.mark.parametrize("role", ["township", "clerk", "judge"])
def test_round_actions_nobody_but_county_moves_the_round(users, role):
    round_ = make_round(status=RoundStatus.DECLARATIONS_OPEN)

    actions = domain.round_actions(round_, users[role])

    assert (actions.move, actions.change_panel, actions.moderate) == (None, False, False)


def test_staff_round_advance_page_says_what_the_dates_say_and_asks_again(client, tree, users):
    round_ = make_round(
        code="r1", status=RoundStatus.DECLARATIONS_OPEN, declarations_close_on=CLOSES
    )
    client.force_login(users["county"])
    url = reverse("ratings:staff_round_advance", kwargs={"code": "r1"})

    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        page = client.post(url, {"to": "declarations_closed"}).content.decode()
        once = client.post(url, {"to": "declarations_closed", "confirm": "1"})
        twice = client.post(
            url, {"to": "declarations_closed", "confirm": "1", "despite_dates": "on"}
        )

    facts = re.search(r'id="advance-facts">(.*?)</ul>', page, re.S)[1]
    assert "3 of 3 communities have not submitted a declaration." in facts
    warnings = re.search(r'id="advance-warnings">(.*?)</div>', page, re.S)[1]
    assert "Declarations are due to close on 10 March 2026, 8 days from today." in warnings
    assert 'name="despite_dates"' in page
    assert once.status_code == 400
    assert error_summary_at_top(once) == [
        (
            "#id_despite_dates",
            "Move on all the same, against the dates above: The move goes against the "
            "round's dates: tick the box to move on all the same.",
        )
    ]
    assert twice.status_code == 302
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.DECLARATIONS_CLOSED


def test_staff_round_advance_to_notice_asks_for_the_contacts(client, users):
    round_ = make_round(code="r1", status=RoundStatus.RANKING)
    client.force_login(users["county"])
    url = reverse("ratings:staff_round_advance", kwargs={"code": "r1"})

    page = client.post(url, {"to": "notice"}).content.decode()
    missing = client.post(url, {"to": "notice", "confirm": "1"})
    opened = client.post(
        url,
        {
            "to": "notice",
            "confirm": "1",
            "contact_phone": "0571-65021234",
            "contact_address": "千岛湖镇新安东路1号",
        },
    )

    assert 'name="contact_phone"' in page
    assert 'name="contact_address"' in page
    assert missing.status_code == 400
    assert Round.objects.get(pk=round_.pk).status == RoundStatus.NOTICE
    assert opened.status_code == 302
    round_.refresh_from_db()
    assert (round_.contact_phone, round_.contact_address) == (
        "0571-65021234",
        "千岛湖镇新安东路1号",
    )


def test_staff_round_detail_confirm_is_not_offered_during_the_notice(client, users):
    make_round(
        code="r1",
        status=RoundStatus.NOTICE,
        notice_starts_on=datetime.date(2026, 2, 24),
        notice_ends_on=TODAY,
    )
    client.force_login(users["county"])

    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI), tick=False):
        page = client.get(reverse("ratings:staff_round_detail", kwargs={"code": "r1"}))

    content = page.content.decode()
    assert "Confirm the results…" not in content
    assert re.search(r'id="move-refusal">(.*?)</span>', content)[1] == (
        "The public notice runs until 2 March 2026: the results can be confirmed after it."
    )
