"""The public commendations (表彰): grouped by year and kind, filters, links to the community
profiles, sample marks, the printable list and the CSV of the published fields only."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community
from services.models import Commendation
from tests.factories import make_community
from tests.html import tables

pytestmark = pytest.mark.django_db

URL = reverse("services:commendations")
PRINT_URL = reverse("services:commendations_print")
CSV_URL = reverse("services:commendations_csv")
ROLES = ("anonymous", "county", "township", "other_township", "clerk", "other_clerk", "judge")
ROLES += ("no_role",)
COLLECTIVE, INDIVIDUAL = Commendation.Kind.COLLECTIVE, Commendation.Kind.INDIVIDUAL


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def commend(**kwargs):
    kwargs.setdefault("year", 2008)
    kwargs.setdefault("kind", COLLECTIVE)
    kwargs.setdefault("title", "先进社区")
    return Commendation.objects.create(**kwargs)


@pytest.fixture
def honours(tree):
    gone = make_community(
        township=tree["south"],
        code="gone",
        name="旧社区",
        name_en="Old community",
        status=Community.Status.MERGED,
    )
    return {
        "xiyuan": commend(name="西园社区居委会", community=tree["home"]),
        "wang": commend(
            name="王小明",
            kind=INDIVIDUAL,
            title="优秀社区工作者",
            community=tree["far"],
            is_sample=True,
        ),
        "old": commend(year=2007, name="旧社区居委会", community=gone),
        "unit": commend(year=2007, name="县工贸资产经营有限公司", title="共建先进单位"),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", [URL, PRINT_URL, CSV_URL])
def test_everyone_may_read(client, users, honours, role, url):
    if role != "anonymous":
        client.force_login(users[role])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [URL, PRINT_URL, CSV_URL])
def test_reading_only(client, honours, url):
    assert client.post(url).status_code == 405


def test_page_groups_by_year_then_kind(english, tree, honours):
    response = english.get(URL)

    body = response.content.decode()
    assert [(t["thead"], t["tbody"]) for t in tables(response)] == [
        (
            [["Name", "Title", "Community"]],
            [["西园社区居委会", "先进社区", tree["home"].name_en]],
        ),
        (
            [["Name", "Title", "Community"]],
            [["王小明 Sample data", "优秀社区工作者", tree["far"].name_en]],
        ),
        (
            [["Name", "Title", "Community"]],
            [
                ["县工贸资产经营有限公司", "共建先进单位", "—"],
                ["旧社区居委会", "先进社区", "Old community"],
            ],
        ),
    ]
    assert body.index("Commended in 2008") < body.index("Advanced collective, 2008")
    assert body.index("Advanced collective, 2008") < body.index("Advanced individual, 2008")
    assert body.index("Advanced individual, 2008") < body.index("Commended in 2007")
    assert body.index("Commended in 2007") < body.index("Advanced collective, 2007")
    assert "Advanced individual, 2007" not in body
    # Active communities link to their public profile; a merged one has none to link to.
    home, far = tree["home"], tree["far"]
    assert f'<a href="/communities/{home.code}/">{home.name_en}</a>' in body
    assert f'<a href="/communities/{far.code}/">{far.name_en}</a>' in body
    assert 'href="/communities/gone/"' not in body
    assert body.count('<span class="badge-sample">Sample data</span>') == 1
    assert "4 commendations" in body


def test_page_filters_by_year_and_kind(english, honours):
    def names(**params):
        return [row[0] for t in tables(english.get(URL, params)) for row in t["tbody"]]

    assert names(year="2007") == ["县工贸资产经营有限公司", "旧社区居委会"]
    assert names(kind="individual") == ["王小明 Sample data"]
    assert names(year="2008", kind="collective") == ["西园社区居委会"]
    # A year with no commendation is not offered; typed in the address, it is explained and
    # the filter is left out.
    response = english.get(URL, {"year": "2009"})
    body = response.content.decode()
    assert "Select a valid choice. 2009 is not one of the available choices." in body
    assert "4 commendations" in body


def test_print_and_csv_links_keep_the_filters(english, honours):
    body = english.get(URL, {"year": "2007", "page": "1"}).content.decode()
    assert f'href="{PRINT_URL}?year=2007"' in body
    assert f'href="{CSV_URL}?year=2007"' in body


def test_page_paginates_and_print_shows_all(english, tree):
    for n in range(settings.PAGE_SIZE + 3):
        commend(name=f"先进个人{n:02d}", kind=INDIVIDUAL, community=tree["home"])

    first = english.get(URL)
    second = english.get(URL, {"page": 2})
    printed = english.get(PRINT_URL)

    assert len(tables(first)[0]["tbody"]) == settings.PAGE_SIZE
    assert [row[0] for row in tables(second)[0]["tbody"]] == [
        "先进个人20",
        "先进个人21",
        "先进个人22",
    ]
    assert len(tables(printed)[0]["tbody"]) == settings.PAGE_SIZE + 3
    assert 'class="pager"' in first.content.decode()
    assert 'class="pager"' not in printed.content.decode()


def test_page_without_commendations(english):
    body = english.get(URL).content.decode()
    assert "No commendation matches these filters." in body
    assert "0 commendations" in body


def test_csv_holds_the_published_fields_only(english, tree, honours):
    commend(year=2006, name="=HYPERLINK(1)", title="+先进", community=tree["neighbour"])

    response = english.get(CSV_URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="commendations.csv"'
    home, far, neighbour = (tree[code].name_en for code in ("home", "far", "neighbour"))
    assert response.content.decode() == (
        "\ufeffName,Title,Year,Kind,Community\r\n"
        f"西园社区居委会,先进社区,2008,Advanced collective,{home}\r\n"
        f"王小明,优秀社区工作者,2008,Advanced individual,{far}\r\n"
        "县工贸资产经营有限公司,共建先进单位,2007,Advanced collective,\r\n"
        "旧社区居委会,先进社区,2007,Advanced collective,Old community\r\n"
        f"'=HYPERLINK(1),'+先进,2006,Advanced collective,{neighbour}\r\n"
    )


def test_csv_follows_the_filters(english, tree, honours):
    response = english.get(CSV_URL, {"kind": "individual"})
    assert response.content.decode() == (
        "\ufeffName,Title,Year,Kind,Community\r\n"
        f"王小明,优秀社区工作者,2008,Advanced individual,{tree['far'].name_en}\r\n"
    )


def test_csv_in_chinese_by_default(client, tree, honours):
    response = client.get(CSV_URL, {"year": "2008", "kind": "collective"})
    lines = response.content.decode().splitlines()
    assert lines[1] == f"西园社区居委会,先进社区,2008,{COLLECTIVE.label},{tree['home'].name}"
    assert len(lines) == 2


@pytest.mark.parametrize("url", [URL, PRINT_URL, CSV_URL])
def test_queries_do_not_grow_with_rows(client, tree, url):
    communities = [tree["home"], tree["neighbour"], tree["far"]]

    def add(start, stop):
        for n in range(start, stop):
            commend(
                year=2000 + n % 5,
                kind=(COLLECTIVE, INDIVIDUAL)[n % 2],
                name=f"名单{n:02d}",
                community=communities[n % 3],
            )

    counts = []
    for start, stop in ((0, 3), (3, 30)):
        add(start, stop)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert Commendation.objects.count() == 30
    assert counts[0] == counts[1]
