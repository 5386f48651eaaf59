"""Opinions and objections during a round's public notice (公示): the public form, its
limits (period, rate, length, honeypot, CSRF), moderation, and what the public sees."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from chunan_community.templatetags.portal_text import zh_terms
from communities.models import Community
from ratings.models import Declaration, Objection, RoundStatus
from ratings.objections import objection_moderate, sender_fingerprint
from tests.factories import make_community, make_township
from tests.html import error_summary_at_top
from tests.ratings.factories import make_declaration, make_round

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

TODAY = NOW.date()
DAY = datetime.timedelta(days=1)
OPINION = "西园社区的活动场地面积数据与实际不符。"


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def notice_round(tree):
    round_ = make_round(
        code="notice-2026",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - DAY,
        notice_ends_on=TODAY + 5 * DAY,
        contact_phone="0571-65000000",
    )
    make_declaration(round=round_, community=tree["home"])
    return round_


def _submit_url(round_):
    return reverse("ratings:objection_submit", kwargs={"code": round_.code})


def _post(client, round_, address="192.0.2.1", **data):
    data.setdefault("text", OPINION)
    return client.post(_submit_url(round_), data, REMOTE_ADDR=address)


def _publish(objection, by, reply=""):
    return objection_moderate(
        objection=objection,
        status=Objection.Status.PUBLISHED,
        handling="Checked with the township.",
        public_reply=reply,
        by=by,
    )


# ---------- Submitting ----------


def test_objection_inside_period_is_stored_pending_and_listed_only_once_published(
    client, notice_round, tree, users
):
    response = _post(
        client, notice_round, community=tree["home"].pk, name="王小明", contact="13800000000"
    )

    assert response.status_code == 302
    assert response["Location"] == notice_round.get_absolute_url()
    objection = Objection.objects.get()
    assert (objection.status, objection.text, objection.community, objection.name) == (
        Objection.Status.PENDING,
        OPINION,
        tree["home"],
        "王小明",
    )
    page = client.get(notice_round.get_absolute_url()).content.decode()
    assert OPINION not in page
    assert 'id="no-published-objections"' in page

    _publish(objection, users["county"])

    page = client.get(notice_round.get_absolute_url()).content.decode()
    assert page.count(f'data-objection="{objection.pk}"') == 1
    assert OPINION in page


def test_objection_success_shows_the_moderation_message(en, notice_round):
    response = en.post(_submit_url(notice_round), {"text": OPINION}, follow=True)

    assert "Your opinion was received; it will be published after moderation." in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(TODAY + DAY, TODAY + 7 * DAY), (TODAY - 7 * DAY, TODAY - DAY)],
    ids=["before", "after"],
)
def test_objection_outside_period_refused(client, notice_round, starts, ends):
    notice_round.notice_starts_on, notice_round.notice_ends_on = starts, ends
    notice_round.save()

    response = _post(client, notice_round)

    assert response.status_code == 400
    assert 'id="objection-refused"' in response.content.decode()
    assert Objection.objects.count() == 0


def test_objection_after_confirmation_refused(client, notice_round):
    notice_round.status = RoundStatus.FINAL
    notice_round.save()

    response = _post(client, notice_round)

    assert response.status_code == 400
    assert Objection.objects.count() == 0


@pytest.mark.parametrize("status", [RoundStatus.PLANNED, RoundStatus.REVIEW, RoundStatus.RANKING])
def test_objection_unpublished_round_404(client, notice_round, status):
    notice_round.status = status
    notice_round.save()

    assert _post(client, notice_round).status_code == 404
    assert client.get(_submit_url(notice_round)).status_code == 404
    assert Objection.objects.count() == 0


def test_objection_form_shown_only_while_open(client, notice_round):
    assert 'id="objection-form"' in client.get(notice_round.get_absolute_url()).content.decode()

    notice_round.notice_ends_on = notice_round.notice_starts_on = TODAY - 2 * DAY
    notice_round.save()

    page = client.get(notice_round.get_absolute_url()).content.decode()
    assert 'id="objection-form"' not in page
    assert 'id="notice-closed"' in page


def test_objection_community_choices_are_the_rounds(client, notice_round, tree):
    withdrawn = make_declaration(
        round=notice_round, community=tree["far"], status=Declaration.Status.WITHDRAWN
    )

    page = client.get(notice_round.get_absolute_url()).content.decode()
    form = page[page.index('id="objection-form"') :]
    options = re.findall(r'<option value="(\d*)"', form)
    assert options == ["", str(tree["home"].pk)]

    response = _post(client, notice_round, community=withdrawn.community.pk)
    assert response.status_code == 400
    assert Objection.objects.count() == 0


def _declare(round_, count):
    """`count` more declaring communities, in a township of their own."""
    township = make_township(code="declaring")
    return [
        make_declaration(
            round=round_,
            community=make_community(
                township=township, code=f"d{n:03d}", name=f"申报社区{n}", name_en=f"Shenbao {n}"
            ),
        ).community
        for n in range(count)
    ]


@pytest.mark.parametrize(("declaring", "options"), [(5, 6), (80, 0)])
def test_objection_community_widget_does_not_grow(client, notice_round, declaring, options):
    _declare(notice_round, declaring - 1)

    page = client.get(notice_round.get_absolute_url()).content.decode()

    form = page[page.index('id="objection-form"') :]
    assert form.count("<option ") == options
    assert ('<input type="text" name="community"' in form) == (declaring > 50)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("d007", "d007"), ("申报社区12", "d012"), ("shenbao 40", "d040"), ("  home ", "home")],
    ids=["code", "name", "english-name", "spaces"],
)
def test_objection_community_typed_above_50(client, notice_round, typed, code):
    _declare(notice_round, 79)

    response = _post(client, notice_round, community=typed)

    assert response.status_code == 302
    assert Objection.objects.get().community.code == code


def test_objection_community_left_empty_above_50_is_general(client, notice_round):
    _declare(notice_round, 79)

    assert _post(client, notice_round, community="").status_code == 302
    assert Objection.objects.get().community is None


@pytest.mark.parametrize(
    "typed", ["nope", "far", "申报社区"], ids=["unknown", "not-in-round", "part"]
)
def test_objection_community_not_of_the_round_above_50(en, notice_round, tree, typed):
    _declare(notice_round, 79)

    response = _post(en, notice_round, community=typed)

    body = response.content.decode()
    assert response.status_code == 400
    assert Objection.objects.count() == 0
    message = (
        f"Community concerned (optional): No community of this round has the code or name "
        f"“{typed}”. Check it against the results above, or leave the box empty for the round "
        f"as a whole."
    )
    with translation.override("en"):  # the Chinese typed is marked as such on the page
        shown = zh_terms(message)
    assert f'<li><a href="#id_community">{shown}</a></li>' in body
    assert f'name="community" value="{typed}"' in body
    assert f"{OPINION}</textarea>" in body


def test_objection_community_ambiguous_name_above_50(en, notice_round):
    _declare(notice_round, 79)
    # Names are unique within a township only: the same name in another one.
    Community.objects.filter(code="d001").update(name="同名社区")
    Community.objects.filter(code="d002").update(name="同名社区", township=make_township())

    response = _post(en, notice_round, community="同名社区")

    assert response.status_code == 400
    assert (
        "Several communities of this round are called “同名社区”: enter the code of one "
        "(d001, d002)." in response.content.decode()
    )
    assert Objection.objects.count() == 0


# ---------- Limits ----------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Write your opinion or objection."),
        ("ab", "Your opinion is too short: write at least 5 characters (you wrote 2)."),
        (
            "长" * 2001,
            "Your opinion is too long: at most 2000 characters (you wrote 2001). "
            "Shorten it, or send it in writing.",
        ),
    ],
    ids=["empty", "short", "long"],
)
def test_objection_text_length_errors_are_written_for_residents(en, notice_round, text, error):
    response = en.post(_submit_url(notice_round), {"text": text})

    assert response.status_code == 400
    assert error_summary_at_top(response) == [("#id_text", f"Your opinion or objection: {error}")]
    assert Objection.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ("name", "Your name is too long: at most 50 characters (you wrote 101)."),
        (
            "contact",
            "Your telephone or address is too long: at most 100 characters (you wrote 101).",
        ),
    ],
)
def test_objection_personal_field_errors_are_written_for_residents(en, notice_round, field, error):
    response = en.post(_submit_url(notice_round), {"text": "请核实活动室面积。", field: "x" * 101})

    assert response.status_code == 400
    assert response.context["objection_form"].errors == {field: [error]}


def test_objection_2000_characters_accepted(client, notice_round):
    assert _post(client, notice_round, text="长" * 2000).status_code == 302
    assert len(Objection.objects.get().text) == 2000


@pytest.mark.parametrize("field", ["name", "contact"])
def test_objection_personal_fields_limited(client, notice_round, field):
    response = _post(client, notice_round, **{field: "x" * 101})

    assert response.status_code == 400
    assert Objection.objects.count() == 0


def test_objection_rate_limit_per_address(client, notice_round, settings):
    settings.CHUNAN_OBJECTIONS_PER_HOUR = 3
    statuses = [_post(client, notice_round, text=f"{OPINION} {i}").status_code for i in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert Objection.objects.count() == 3
    assert _post(client, notice_round, address="192.0.2.99").status_code == 302
    assert Objection.objects.count() == 4


def test_objection_rate_limit_forgets_after_an_hour(client, notice_round, settings):
    settings.CHUNAN_OBJECTIONS_PER_HOUR = 1
    _post(client, notice_round)
    Objection.objects.update(submitted_at=timezone.now() - datetime.timedelta(minutes=61))

    assert _post(client, notice_round).status_code == 302


def test_objection_rate_limit_shows_form_and_message(en, notice_round, settings):
    settings.CHUNAN_OBJECTIONS_PER_HOUR = 0

    response = en.post(_submit_url(notice_round), {"text": OPINION})

    page = response.content.decode()
    assert response.status_code == 429
    assert "Too many opinions were sent from your address in the last hour." in page
    assert OPINION in page  # the form is shown again, filled in


def test_objection_forwarded_address_counts_behind_trusted_proxy(client, notice_round, settings):
    settings.CHUNAN_OBJECTIONS_PER_HOUR = 1
    settings.CHUNAN_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"

    first = client.post(
        _submit_url(notice_round),
        {"text": OPINION},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    # A forged first entry does not help: the proxy's own entry (rightmost) counts.
    again = client.post(
        _submit_url(notice_round),
        {"text": OPINION},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7",
    )
    other = client.post(
        _submit_url(notice_round),
        {"text": OPINION},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )

    assert (first.status_code, again.status_code, other.status_code) == (302, 429, 302)
    assert set(Objection.objects.values_list("sender_hash", flat=True)) == {
        sender_fingerprint("203.0.113.7"),
        sender_fingerprint("203.0.113.8"),
    }


def test_objection_forwarded_header_ignored_without_trusted_proxy(client, notice_round, settings):
    settings.CHUNAN_OBJECTIONS_PER_HOUR = 1
    settings.CHUNAN_TRUSTED_PROXY_COUNT = 0

    statuses = [
        client.post(
            _submit_url(notice_round),
            {"text": OPINION},
            REMOTE_ADDR="192.0.2.5",
            HTTP_X_FORWARDED_FOR=forwarded,
        ).status_code
        for forwarded in ("203.0.113.1", "203.0.113.2")
    ]

    assert statuses == [302, 429]
    assert Objection.objects.get().sender_hash == sender_fingerprint("192.0.2.5")


def test_objection_sender_hash_is_not_the_address(client, notice_round):
    _post(client, notice_round, address="192.0.2.1")

    stored = Objection.objects.get().sender_hash
    assert stored == sender_fingerprint("192.0.2.1")
    assert "192.0.2.1" not in stored
    assert re.fullmatch(r"[0-9a-f]{64}", stored)


def test_objection_honeypot_stores_nothing_and_answers_like_success(client, notice_round):
    real = _post(client, notice_round)
    bot = _post(client, notice_round, website="http://spam.example", address="192.0.2.2")

    assert (bot.status_code, bot["Location"]) == (real.status_code, real["Location"])
    assert Objection.objects.count() == 1


def test_objection_honeypot_hidden_from_people(client, notice_round):
    page = client.get(notice_round.get_absolute_url()).content.decode()

    assert re.search(r'<div class="notice-hp" aria-hidden="true">.*?name="website"', page, re.S)


def test_objection_csrf_enforced(notice_round):
    client = Client(enforce_csrf_checks=True)

    refused = client.post(_submit_url(notice_round), {"text": OPINION})

    assert refused.status_code == 403
    assert Objection.objects.count() == 0
    page = client.get(notice_round.get_absolute_url())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    accepted = client.post(
        _submit_url(notice_round), {"text": OPINION, "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302
    assert Objection.objects.count() == 1


# ---------- Moderation ----------


def _list_url(round_):
    return reverse("ratings:objection_list", kwargs={"code": round_.code})


def _moderate_url(objection):
    return reverse(
        "ratings:objection_moderate",
        kwargs={"code": objection.round.code, "pk": objection.pk},
    )


@pytest.fixture
def objection(client, notice_round, tree):
    _post(client, notice_round, community=tree["home"].pk, name="王小明", contact="13800000000")
    return Objection.objects.get()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("county", 200),
        ("township", 404),
        ("clerk", 404),
        ("judge", 404),
        ("no_role", 404),
    ],
)
def test_moderation_pages_by_role(client, users, objection, role, expected):
    client.force_login(users[role])

    listed = client.get(_list_url(objection.round))
    detail = client.get(_moderate_url(objection))
    post = client.post(
        _moderate_url(objection), {"status": "published", "public_reply": "已核实。"}
    )

    assert (listed.status_code, detail.status_code) == (expected, expected)
    assert post.status_code == (302 if expected == 200 else 404)
    objection.refresh_from_db()
    published = expected == 200
    assert objection.status == (Objection.Status.PUBLISHED if published else "pending")


def test_moderation_anonymous_sent_to_login(client, objection):
    for url in (_list_url(objection.round), _moderate_url(objection)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_moderation_list_shows_personal_data_and_filters(
    client, users, objection, notice_round, time_machine
):
    time_machine.shift(datetime.timedelta(minutes=5))
    other = Objection.objects.create(
        round=notice_round, text="另一条意见。", sender_hash="0" * 64, status="hidden"
    )
    client.force_login(users["county"])

    page = client.get(_list_url(notice_round)).content.decode()
    pending = client.get(_list_url(notice_round), {"status": "pending"}).content.decode()

    assert re.findall(r'<tr data-objection="(\d+)"', page) == [str(other.pk), str(objection.pk)]
    assert re.findall(r'<tr data-objection="(\d+)"', pending) == [str(objection.pk)]
    assert "王小明" in page and "13800000000" in page


def test_moderation_records_handling_and_reply(client, users, objection):
    client.force_login(users["county"])

    response = client.post(
        _moderate_url(objection),
        {
            "status": "published",
            "handling": "电话回访，已核实。",
            "public_reply": "经核实，数据无误。",
        },
    )

    assert response.status_code == 302
    objection.refresh_from_db()
    assert (
        objection.status,
        objection.handling,
        objection.public_reply,
        objection.handled_by,
    ) == ("published", "电话回访，已核实。", "经核实，数据无误。", users["county"])
    assert objection.handled_at is not None


def test_moderation_requires_a_decision(en, users, objection):
    en.force_login(users["county"])

    response = en.post(_moderate_url(objection), {"handling": "已核实"})

    assert response.status_code == 400
    assert error_summary_at_top(response) == [
        ("#id_status_0", "Decision: Choose whether to publish the opinion or hide it.")
    ]
    objection.refresh_from_db()
    assert objection.status == "pending"


# ---------- What the public sees ----------


def test_public_page_shows_reply_never_personal_data(client, users, objection):
    _publish(objection, users["county"], reply="经核实，数据无误。")
    hidden = Objection.objects.create(
        round=objection.round,
        text="不应公开的意见。",
        name="李四",
        contact="lisi@example.org",
        sender_hash="1" * 64,
    )
    objection_moderate(
        objection=hidden, status="hidden", handling="内部记录", public_reply="", by=users["county"]
    )

    for url in (
        objection.round.get_absolute_url(),
        reverse("ratings:round_notice", kwargs={"code": objection.round.code}),
    ):
        page = client.get(url).content.decode()
        assert "王小明" not in page
        assert "13800000000" not in page
        assert "李四" not in page and "lisi@example.org" not in page
        assert "Checked with the township." not in page and "内部记录" not in page
    page = client.get(objection.round.get_absolute_url()).content.decode()
    assert "经核实，数据无误。" in page
    assert "不应公开的意见。" not in page


def test_public_page_published_objections_after_confirmation(client, users, objection):
    _publish(objection, users["county"], reply="已答复。")
    objection.round.status = RoundStatus.FINAL
    objection.round.save()

    page = client.get(objection.round.get_absolute_url()).content.decode()

    assert "已答复。" in page
    assert 'id="objection-form"' not in page


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _published(round_, community, start, stop):
    Objection.objects.bulk_create(
        Objection(
            round=round_,
            community=community if i % 2 else None,
            text=f"意见{i}",
            sender_hash=f"{i:064x}",
            status=Objection.Status.PUBLISHED,
            public_reply=f"答复{i}",
            handled_at=timezone.now(),
        )
        for i in range(start, stop)
    )


def test_public_page_queries_same_for_3_and_30_objections(client, notice_round, tree):
    url = notice_round.get_absolute_url()
    _published(notice_round, tree["home"], 0, 3)
    client.get(url)  # warm up

    few, few_page = _page_queries(client, url)
    _published(notice_round, tree["home"], 3, 30)
    many, many_page = _page_queries(client, url)

    assert len(re.findall(r'<li class="objection"', few_page)) == 3
    assert len(re.findall(r'<li class="objection"', many_page)) == 30
    assert few == many
