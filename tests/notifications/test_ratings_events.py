"""What the rating rounds tell people: declarations opened and their deadline (clerks), score
sheets assigned and the scoring deadline (judges), a new opinion during a notice (county
staff), and the county's reply e-mailed to an objector who left an e-mail address."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.access import access_for
from communities.models import Community, Role
from notifications.models import Delivery, Kind, Message, Profile
from notifications.notify import render_text
from notifications.reminders import send_reminders
from ratings import domain
from ratings.models import Declaration, Objection, RoundStatus, ScoreSheet
from ratings.reminders import declaration_deadline, scoring_deadline
from ratings.worklist import ratings_work
from tests.factories import make_community, make_user
from tests.mail import run_worker
from tests.ratings.factories import make_assignment, make_declaration, make_round

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
DAY = datetime.timedelta(days=1)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

SITE = "http://127.0.0.1:8000"

User = get_user_model()


def _reachable(user, language="en"):
    """`user` with an e-mail address, reading messages in `language`."""
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    Profile.objects.create(user=user, language=language)
    return user


def _inbox(kind):
    """(recipient's user name, subject, url) of each message of `kind`, by user name."""
    return sorted(
        Message.objects.filter(kind=kind).values_list("recipient__username", "subject", "url")
    )


def _mails(mailbox, user):
    """(subject, text) of each e-mail `user` received. The subject is stripped: Python's
    e-mail header folding puts a long encoded subject on a continuation line, which its parser
    reads back with the fold's space."""
    return [(mail["Subject"].strip(), _text(mailbox, mail)) for mail in mailbox.to(user.email)]


def _text(mailbox, mail):
    return mailbox.text(mail).replace("\r\n", "\n")


# ---------- Declarations opened ----------


def test_opening_declarations_tells_the_clerk_of_every_active_community(
    client, users, tree, mailbox
):
    clerk, other_clerk = _reachable(users["clerk"]), _reachable(users["other_clerk"])
    dissolved = make_community(township=tree["north"], status=Community.Status.DISSOLVED)
    make_user(Role.CLERK, community=dissolved, username="dissolved_clerk")
    make_user(Role.CLERK, community=tree["neighbour"], username="gone", is_active=False)
    round_ = make_round(
        code="r2026", name="2026年度社区评定", declarations_close_on=TODAY + 14 * DAY
    )
    client.force_login(users["county"])

    response = client.post(
        reverse("ratings:staff_round_advance", args=[round_.code]),
        {"to": RoundStatus.DECLARATIONS_OPEN, "confirm": "1"},
    )

    assert response.status_code == 302
    subject = "Declarations are open: 2026年度社区评定"
    assert _inbox(Kind.DECLARATIONS_OPEN) == [
        ("clerk", subject, "/ratings/manage/r2026/declare/"),
        ("other_clerk", subject, "/ratings/manage/r2026/declare/"),
    ]
    assert Message.objects.get(recipient=clerk).body == (
        "The 2026年度社区评定 is open for declarations. Enter your community's declaration, "
        "with its self-assessment and evidence, and submit it by 16 March 2026.\n\n"
        "A draft that is saved but not submitted is not reviewed."
    )

    run_worker()

    for user in (clerk, other_clerk):
        [(mail_subject, text)] = _mails(mailbox, user)
        assert mail_subject == subject
        assert f"{SITE}/ratings/manage/r2026/declare/" in text
    assert len(mailbox.messages) == 2


def test_a_move_rolled_back_tells_no_clerk(users):
    _reachable(users["clerk"])
    round_ = make_round(declarations_close_on=TODAY + 14 * DAY)

    with pytest.raises(RuntimeError), transaction.atomic():
        domain.round_advance(round=round_, to=RoundStatus.DECLARATIONS_OPEN, by=users["county"])
        raise RuntimeError("refused later in the same transaction")

    assert (Message.objects.count(), Delivery.objects.count()) == (0, 0)


def _open_with_clerks(users, tree, count):
    for _ in range(count):
        make_user(Role.CLERK, community=make_community(township=tree["south"]))
    round_ = make_round(declarations_close_on=TODAY + 14 * DAY)
    with CaptureQueriesContext(connection) as queries:
        domain.round_advance(round=round_, to=RoundStatus.DECLARATIONS_OPEN, by=users["county"])
    return [query["sql"] for query in queries.captured_queries]


def test_opening_declarations_runs_the_same_queries_for_few_and_many_clerks(users, tree):
    # Clerks without an e-mail address: the outbox puts each e-mail on the task queue with
    # an insert of its own (notifications.outbox.enqueue), whoever sends it.
    access_for(users["county"])  # read once per request, and kept on the user
    few = _open_with_clerks(users, tree, 2)
    Message.objects.all().delete()
    many = _open_with_clerks(users, tree, 12)

    assert Message.objects.filter(kind=Kind.DECLARATIONS_OPEN).count() == 2 + 12 + 2
    assert len(few) == len(many)
    # One query for the clerks, one insert of all their messages.
    for queries in (few, many):
        assert sum('FROM "communities_userscope"' in sql for sql in queries) == 1
        assert sum(sql.startswith('INSERT INTO "notifications_message"') for sql in queries) == 1


# ---------- The declaration deadline ----------


@pytest.fixture
def closing_round(users, tree):
    """Declarations close in three days: `home` has a draft only, `far` submitted,
    `neighbour` nothing yet (and a clerk)."""
    round_ = make_round(
        code="r2026",
        name="2026年度社区评定",
        status=RoundStatus.DECLARATIONS_OPEN,
        declarations_open_on=TODAY - 20 * DAY,
        declarations_close_on=TODAY + 3 * DAY,
    )
    make_declaration(round=round_, community=tree["home"], status=Declaration.Status.DRAFT)
    make_declaration(round=round_, community=tree["far"])
    make_user(Role.CLERK, community=tree["neighbour"], username="neighbour_clerk")
    return round_


def test_the_declaration_deadline_reminds_the_clerks_who_have_not_submitted_once(
    users, tree, closing_round, mailbox
):
    clerk = _reachable(users["clerk"])
    _reachable(users["other_clerk"])
    _reachable(User.objects.get(username="neighbour_clerk"))

    send_reminders(TODAY)
    send_reminders(TODAY)

    subject = "Declaration due by 5 March 2026: 2026年度社区评定"
    assert _inbox(Kind.DECLARATION_DEADLINE) == [
        ("clerk", subject, "/ratings/manage/r2026/declare/"),
        ("neighbour_clerk", subject, "/ratings/manage/r2026/declare/"),
    ]
    assert Message.objects.get(kind=Kind.DECLARATION_DEADLINE, recipient=clerk).body == (
        f"{tree['home'].name_en} has not submitted its declaration for the 2026年度社区评定 yet. "
        "Declarations close on 5 March 2026: a community that has not submitted its "
        "declaration by then takes no part in this round.\n\n"
        "A draft that is saved but not submitted is not reviewed."
    )

    run_worker()

    [(mail_subject, text)] = [
        mail for mail in _mails(mailbox, clerk) if mail[0].startswith("Declaration due")
    ]
    assert mail_subject == subject
    assert f"{SITE}/ratings/manage/r2026/declare/" in text
    assert [m for m in _mails(mailbox, users["other_clerk"]) if "Declaration" in m[0]] == []


def test_the_declaration_deadline_agrees_with_the_clerks_to_do_list(users, tree, closing_round):
    reminded = [
        (reminder.key, [user.username for user in reminder.recipients])
        for reminder in declaration_deadline(TODAY)
    ]

    assert reminded == [
        (f"declaration_deadline:{closing_round.pk}:{tree['home'].pk}", ["clerk"]),
        (f"declaration_deadline:{closing_round.pk}:{tree['neighbour'].pk}", ["neighbour_clerk"]),
    ]
    for clerk, owes in ((users["clerk"], 1), (users["other_clerk"], 0)):
        [work] = ratings_work(clerk, access_for(clerk), TODAY)
        assert work.total == owes


@pytest.mark.parametrize(
    ("today", "reminded"),
    [(TODAY - DAY, 0), (TODAY, 2), (TODAY + 3 * DAY, 2), (TODAY + 4 * DAY, 0)],
    ids=["four-days-before", "three-days-before", "closing-day", "after"],
)
def test_the_declaration_deadline_is_reminded_from_three_days_before(
    closing_round, today, reminded
):
    assert len(declaration_deadline(today)) == reminded


def _clerks_owing(tree, count):
    round_ = make_round(
        status=RoundStatus.DECLARATIONS_OPEN,
        declarations_open_on=TODAY - 20 * DAY,
        declarations_close_on=TODAY + DAY,
    )
    for _ in range(count):
        make_user(Role.CLERK, community=make_community(township=tree["south"]))
    return round_


@pytest.mark.parametrize("count", [1, 8])
def test_the_declaration_deadline_runs_two_queries_however_many_clerks(
    tree, count, django_assert_num_queries
):
    _clerks_owing(tree, count)
    _clerks_owing(tree, count)  # a second round closing the same week

    with django_assert_num_queries(2):
        reminders = declaration_deadline(TODAY)

    # Twice `count` communities, each owing both rounds: one reminder to its clerk for each.
    assert [len(reminder.recipients) for reminder in reminders] == [1] * 4 * count


# ---------- Score sheets assigned ----------


def test_assigning_a_judge_tells_them_once(client, users, mailbox):
    judge = _reachable(users["judge"])
    round_ = make_round(
        code="r2026",
        name="2026年度社区评定",
        status=RoundStatus.DECLARATIONS_CLOSED,
        review_meeting_on=TODAY + 7 * DAY,
    )
    client.force_login(users["county"])
    url = reverse("ratings:staff_judge_assign", args=[round_.code])

    client.post(url, {"username": "judge", "is_chair": "on"})
    client.post(url, {"username": "judge"})  # no longer the chair: not assigned again

    assert _inbox(Kind.SHEETS_ASSIGNED) == [
        ("judge", "You are on the review panel of 2026年度社区评定", "/ratings/judging/r2026/")
    ]
    assert Message.objects.get(recipient=judge).body == (
        "County civil-affairs staff put you on the review panel of the 2026年度社区评定. At the "
        "review meeting you score each community that declared, on your own score sheets in "
        "the portal.\n"
        "The review meeting is set for 9 March 2026.\n"
        "You are the chair of the panel: you close the scoring once every score sheet is in.\n\n"
        "If you work or live in a community that declared, tell county staff: you may not "
        "score it."
    )

    run_worker()

    [(subject, text)] = _mails(mailbox, judge)
    assert subject == "You are on the review panel of 2026年度社区评定"
    assert f"{SITE}/ratings/judging/r2026/" in text


# ---------- The scoring deadline ----------


@pytest.fixture
def scoring_round(users, tree):
    """At its review meeting, two days away: two submitted declarations; `judge` saved one
    sheet, `done` saved both."""
    round_ = make_round(
        code="r2026",
        name="2026年度社区评定",
        status=RoundStatus.REVIEW,
        review_meeting_on=TODAY + 2 * DAY,
    )
    home = make_declaration(round=round_, community=tree["home"])
    far = make_declaration(round=round_, community=tree["far"])
    done = make_user(Role.JUDGE, username="done")
    make_assignment(round=round_, judge=users["judge"])
    make_assignment(round=round_, judge=done, is_chair=True)
    ScoreSheet.objects.create(judge=users["judge"], declaration=home, abstained=True)
    for declaration in (home, far):
        ScoreSheet.objects.create(judge=done, declaration=declaration, abstained=True)
    return round_


def test_the_scoring_deadline_reminds_judges_with_sheets_to_fill_once(
    users, scoring_round, mailbox
):
    judge = _reachable(users["judge"])

    send_reminders(TODAY)
    send_reminders(TODAY)

    assert _inbox(Kind.SCORING_DEADLINE) == [
        ("judge", "Scoring closes on 4 March 2026: 2026年度社区评定", "/ratings/judging/r2026/")
    ]
    assert Message.objects.get(kind=Kind.SCORING_DEADLINE).body == (
        "You have 1 community still to score for the 2026年度社区评定.\n"
        "Scoring closes when the review meeting ends, on 4 March 2026. Save a score sheet for "
        "each community, or abstain."
    )

    run_worker()

    [(subject, text)] = _mails(mailbox, judge)
    assert subject == "Scoring closes on 4 March 2026: 2026年度社区评定"
    assert f"{SITE}/ratings/judging/r2026/" in text


@pytest.mark.parametrize(
    ("today", "reminded"),
    [(TODAY - DAY, []), (TODAY, ["judge"]), (TODAY + 2 * DAY, ["judge"]), (TODAY + 3 * DAY, [])],
    ids=["three-days-before", "two-days-before", "meeting-day", "after"],
)
def test_the_scoring_deadline_is_reminded_from_two_days_before(scoring_round, today, reminded):
    assert [r.recipients[0].username for r in scoring_deadline(today)] == reminded


def _panel(tree, count):
    round_ = make_round(status=RoundStatus.REVIEW, review_meeting_on=TODAY + DAY)
    for _ in range(count):
        make_declaration(round=round_, community=make_community(township=tree["south"]))
        make_assignment(round=round_, judge=make_user(Role.JUDGE))
    return round_


@pytest.mark.parametrize("count", [1, 6])
def test_the_scoring_deadline_runs_six_queries_however_many_judges(
    tree, count, django_assert_num_queries
):
    _panel(tree, count)
    _panel(tree, count)

    with django_assert_num_queries(6):
        reminders = scoring_deadline(TODAY)

    assert len(reminders) == 2 * count
    assert {reminder.context["count"] for reminder in reminders} == {count}


# ---------- Opinions during a notice ----------


@pytest.fixture
def notice_round(tree):
    round_ = make_round(
        code="notice-2026",
        name="2026年度社区评定",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - DAY,
        notice_ends_on=TODAY + 5 * DAY,
        contact_phone="0571-65000000",
    )
    make_declaration(round=round_, community=tree["home"])
    return round_


def test_a_new_opinion_tells_county_staff(client, users, tree, notice_round, mailbox):
    county = _reachable(users["county"])
    make_user(Role.COUNTY, username="retired", is_active=False)

    response = client.post(
        reverse("ratings:objection_submit", args=[notice_round.code]),
        {
            "community": tree["home"].pk,
            "text": "活动场地面积数据与实际不符。",
            "name": "王小明",
            "contact": "13800000000",
        },
        REMOTE_ADDR="192.0.2.1",
    )

    assert response.status_code == 302
    objection = Objection.objects.get()
    url = f"/ratings/manage/notice-2026/objections/{objection.pk}/"
    subject = "A new opinion on the notice of 2026年度社区评定"
    assert _inbox(Kind.NEW_OPINION) == [("county", subject, url)]
    community = tree["home"].name_en
    assert Message.objects.get(kind=Kind.NEW_OPINION).body == (
        f"An opinion about {community} was sent during the public notice of the "
        "2026年度社区评定.\n"
        "It appears on the notice page only once moderated: publish it or hide it, and write "
        "the county's reply. The notice runs until 7 March 2026."
    )

    run_worker()

    [(mail_subject, text)] = _mails(mailbox, county)
    assert mail_subject == subject
    assert f"{SITE}{url}" in text
    # Who sent it stays on the moderation page.
    assert "王小明" not in text and "13800000000" not in text


@pytest.fixture
def objection(notice_round, tree):
    return Objection.objects.create(
        round=notice_round,
        community=tree["home"],
        text="活动场地面积数据与实际不符。",
        contact="lisi@example.org",
        sender_hash="1" * 64,
    )


def _moderate(client, objection, **data):
    data.setdefault("status", Objection.Status.PUBLISHED)
    data.setdefault("handling", "已核实")
    return client.post(
        reverse("ratings:objection_moderate", args=[objection.round.code, objection.pk]), data
    )


def test_the_published_reply_is_emailed_to_an_objector_who_left_an_address_once(
    client, users, objection, mailbox
):
    client.force_login(users["county"])

    response = _moderate(client, objection, public_reply="经核实，数据无误。")
    objection.refresh_from_db()
    # The objector has no account: the e-mail is in the portal's language.
    expected = render_text(
        "notifications/messages/ratings_opinion_reply.txt",
        {"round": objection.round, "objection": objection},
        settings.LANGUAGE_CODE,
    )
    _moderate(client, objection, public_reply="经核实，数据无误。（更正）")

    assert response.status_code == 302
    delivery = Delivery.objects.get(kind=Kind.OPINION_REPLY)
    assert (delivery.to, delivery.key) == ("lisi@example.org", f"opinion_reply:{objection.pk}")
    assert not Message.objects.filter(kind=Kind.OPINION_REPLY).exists()

    run_worker()

    [mail] = mailbox.to("lisi@example.org")
    assert mail["Subject"].strip() == expected.subject
    text = _text(mailbox, mail)
    assert text.startswith(expected.body)
    assert "活动场地面积数据与实际不符。\n" in text
    assert "经核实，数据无误。\n" in text and "（更正）" not in text
    assert f"{SITE}/ratings/notice-2026/#published-objections" in text


@pytest.mark.parametrize(
    ("contact", "status", "reply"),
    [
        ("13800000000", Objection.Status.PUBLISHED, "已答复。"),
        ("lisi@example.org", Objection.Status.HIDDEN, "已答复。"),
        ("lisi@example.org", Objection.Status.PUBLISHED, ""),
    ],
    ids=["telephone", "hidden", "no-reply"],
)
def test_no_reply_email_without_an_address_a_publication_and_a_reply(
    client, users, objection, mailbox, contact, status, reply
):
    Objection.objects.filter(pk=objection.pk).update(contact=contact)
    client.force_login(users["county"])

    _moderate(client, objection, status=status, public_reply=reply)
    run_worker()

    assert Delivery.objects.filter(kind=Kind.OPINION_REPLY).count() == 0
    assert mailbox.messages == []


def test_the_opinion_form_says_an_email_address_gets_the_reply(client, notice_round):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get(reverse("ratings:objection_submit", args=[notice_round.code]))

    assert (
        "Seen only by county staff, never published. Give an e-mail address to receive the "
        "county's reply by e-mail as well."
    ) in page.content.decode()
