"""The printable A4 public notice (公示) of a round, with its QR code."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings.models import CutOff, Rating, RoundStatus, Tier
from tests.factories import make_community
from tests.ratings.factories import make_declaration, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _notice_url(round_):
    return reverse("ratings:round_notice", kwargs={"code": round_.code})


@pytest.fixture
def notice_round(tree):
    round_ = make_round(
        code="notice-2026",
        year=2026,
        status=RoundStatus.NOTICE,
        notice_starts_on=datetime.date(2026, 3, 2),
        notice_ends_on=datetime.date(2026, 3, 8),
        contact_phone="0571-65021234",
        contact_address="淳安县千岛湖镇新安东路1号",
        issuing_office="淳安县社区建设领导小组办公室",
    )
    CutOff.objects.create(round=round_, tier=Tier.NORMATIVE, min_score=0)
    make_declaration(round=round_, community=tree["home"])
    return round_


def test_notice_print_has_the_official_shape(en, notice_round, tree):
    response = en.get(_notice_url(notice_round))

    page = response.content.decode()
    assert response.status_code == 200
    title = re.search(r'<h1 class="notice-sheet__title" id="notice-title">(.*?)</h1>', page)[1]
    assert (
        title
        == "Public notice of the results of the 2026 “normative, star and garden” community rating"
    )
    period = re.sub(r"\s+", " ", re.search(r'id="notice-period">(.*?)</p>', page, re.S)[1])
    assert period.strip() == "Notice period: from 2 March 2026 to 8 March 2026 (7 days)."
    assert "The above results are hereby announced to the public." in page
    how = re.sub(r"\s+", " ", re.search(r'id="notice-how">(.*?)</p>', page, re.S)[1])
    assert how.strip() == (
        "Anyone with an opinion on or objection to the above results may make it known to "
        '<span lang="zh-Hans">淳安县社区建设领导小组办公室</span> during the notice period:'
    )
    assert re.findall(r'<li id="notice-(address|phone)">(.*?)</li>', page) == [
        ("address", 'In writing: <span lang="zh-Hans">淳安县千岛湖镇新安东路1号</span>'),
        ("phone", "Telephone: 0571-65021234"),
    ]
    assert 'id="notice-real-name"' in page
    signature = re.search(r'id="notice-signature">(.*?)</div>', page, re.S)[1]
    assert re.findall(r"<p>(.*?)</p>", signature) == [
        '<span lang="zh-Hans">淳安县社区建设领导小组办公室</span>',
        "2 March 2026",
    ]
    assert f'data-community="{tree["home"].code}"' in page


def test_notice_print_qr_code_and_address(client, notice_round):
    response = client.get(_notice_url(notice_round))

    page = response.content.decode()
    absolute = f"http://testserver/ratings/{notice_round.code}/"
    qr = re.search(r'<figure class="notice-qr" id="notice-qr">\s*(<svg .*?</svg>)', page, re.S)
    assert qr is not None
    assert 'class="notice-qr__code"' in qr[1]
    assert "<path " in qr[1]
    assert re.search(rf'<span class="notice-url">{re.escape(absolute)}</span>', page)


def test_notice_print_uses_the_request_host(client, notice_round, settings):
    settings.ALLOWED_HOSTS = ["portal.example.org"]

    page = client.get(_notice_url(notice_round), HTTP_HOST="portal.example.org").content.decode()

    assert f"http://portal.example.org/ratings/{notice_round.code}/" in page


@pytest.mark.parametrize(
    "status",
    [
        RoundStatus.PLANNED,
        RoundStatus.DECLARATIONS_OPEN,
        RoundStatus.DECLARATIONS_CLOSED,
        RoundStatus.REVIEW,
        RoundStatus.RANKING,
    ],
)
def test_notice_print_unpublished_round_404(client, notice_round, status):
    notice_round.status = status
    notice_round.save()

    assert client.get(_notice_url(notice_round)).status_code == 404


def test_notice_print_confirmed_round_is_an_announcement(en, tree):
    round_ = make_round(
        code="final-2024",
        year=2024,
        status=RoundStatus.FINAL,
        notice_starts_on=datetime.date(2024, 3, 2),
        notice_ends_on=datetime.date(2024, 3, 8),
        finalised_on=datetime.date(2024, 3, 12),
    )
    for community, tier, stars in [
        (tree["home"], Tier.STAR, 4),
        (tree["neighbour"], Tier.NORMATIVE, None),
    ]:
        Rating.objects.create(
            round=round_,
            community=community,
            tier=tier,
            stars=stars,
            valid_until=datetime.date(2026, 12, 31),
        )

    page = en.get(_notice_url(round_)).content.decode()

    assert re.findall(r'<section class="notice-category" data-category="([\w-]+)"', page) == [
        "normative",
        "star-4",
    ]
    title = re.search(r'id="notice-title">(.*?)</h1>', page)[1]
    assert title == (
        "Announcement of the results of the 2024 “normative, star and garden” community rating"
    )
    period = re.sub(r"\s+", " ", re.search(r'id="notice-period">(.*?)</p>', page, re.S)[1])
    assert period.strip() == (
        "The proposed results were publicly announced for opinions from 2 March 2024 to "
        "8 March 2024 (7 days)."
    )
    assert 'id="notice-announce">This is hereby announced.</p>' in page
    for invitation in (
        "hereby announced to the public",
        'id="notice-how"',
        'id="notice-real-name"',
        "send an opinion",
    ):
        assert invitation not in page
    signature = re.search(r'id="notice-signature">(.*?)</div>', page, re.S)[1]
    assert re.findall(r"<p>(.*?)</p>", signature)[1] == "12 March 2024"


def test_notice_print_under_notice_announces_only_the_ratings_reached(en, notice_round, tree):
    make_declaration(
        round=notice_round, community=tree["neighbour"], target_tier=Tier.STAR, target_stars=3
    )
    make_declaration(
        round=notice_round, community=tree["far"], target_tier=Tier.STAR, target_stars=4
    )

    page = en.get(_notice_url(notice_round)).content.decode()

    sections = re.findall(
        r'<section class="notice-category" data-category="([\w-]+)">.*?<h2[^>]*>(.*?)</h2>'
        r".*?</section>",
        page,
        re.S,
    )
    assert [(key, re.sub(r"\s+", " ", title)) for key, title in sections] == [
        ("normative", "Normative community (1 community)")
    ]
    assert re.findall(r'<tr data-community="([\w-]+)">', page) == ["home"]
    assert "not reached" not in page


def test_notice_print_linked_from_results_page(client, notice_round):
    page = client.get(notice_round.get_absolute_url()).content.decode()

    assert f'href="{_notice_url(notice_round)}" id="notice-print-link"' in page


def test_notice_print_queries_do_not_grow_with_communities(client, notice_round, tree, settings):
    settings.CHUNAN_NOTICE_LIVE_SECONDS = 0  # rendered each time, not served from the cache
    url = _notice_url(notice_round)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(9):
        make_declaration(round=notice_round, community=make_community(township=tree["north"]))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert response.content.decode().count('<tr data-community="') == 10
    assert len(few) == len(many)
