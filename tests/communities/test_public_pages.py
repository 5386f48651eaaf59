"""The public pages: county overview, directory, community profile, language switcher."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import translation
from django.views.defaults import server_error

from communities.models import Community, FacilityKind, GovernanceBody, Honour, Role
from portal.views import COMMUNITIES_PER_TOWNSHIP
from tests.factories import (
    make_body,
    make_branch,
    make_community,
    make_facility,
    make_honour,
    make_pairing,
    make_term,
    make_township,
    make_unit,
    make_user,
)
from tests.html import soup, tables

pytestmark = pytest.mark.django_db

SWITCHER = '<form class="lang-switch" method="get" action="/i18n/language/'


def body_rows(response, index=0):
    return tables(response)[index]["tbody"]


def invalid_choice_message():
    with translation.override("en"):
        return str(forms.ModelChoiceField.default_error_messages["invalid_choice"])


@pytest.fixture
def en(client):
    """A client that chose English with the switcher: assertions on interface text stay
    valid when the Chinese catalogue is filled in."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# ---------- Home: the county overview ----------


def test_home_lists_townships_and_active_communities_with_profile_links(client, tree):
    closed_township = make_township(code="closed")
    make_community(township=closed_township, code="gone", status=Community.Status.DISSOLVED)
    make_community(township=tree["north"], code="merged", status=Community.Status.MERGED)

    response = client.get("/")

    content = response.content.decode()
    assert response.status_code == 200
    for key in ("home", "neighbour", "far"):
        community = tree[key]
        assert f'<a href="/communities/{community.code}/">{community.name}</a>' in content
    assert "/communities/gone/" not in content
    assert "/communities/merged/" not in content
    assert 'id="township-north"' in content
    assert 'id="township-south"' in content
    assert 'id="township-closed"' not in content


def test_home_township_table_counts_and_totals(en, tree):
    # Honours must not inflate the sums (they are counted apart from the households).
    make_honour(community=tree["home"])
    make_honour(community=tree["home"], level=Honour.Level.CITY)
    make_community(township=tree["south"], code="gone", status=Community.Status.DISSOLVED)

    response = en.get("/")

    table = tables(response)[0]
    assert table["tbody"] == [
        [tree["north"].name_en, "2", "2,000", "6,000"],
        [tree["south"].name_en, "1", "1,000", "3,000"],
    ]
    assert table["tfoot"] == [["County total", "3", "3,000", "9,000"]]
    assert response.context["totals"] == {
        "communities": 3,
        "households": 3000,
        "residents": 9000,
        "honours": 2,
        "sample_figures": 3,
    }
    content = response.content.decode()
    assert '<dd class="stats__value" id="total-communities">3</dd>' in content
    assert '<dd class="stats__value" id="total-honours">2</dd>' in content


def test_home_marks_sample_household_figures(en, tree):
    response = en.get("/")

    content = response.content.decode()
    assert content.count('<span class="badge-sample">Sample data</span>') == 4


def test_home_without_sample_figures_has_no_badge(client):
    make_community(code="real", figures_are_sample=False)

    response = client.get("/")

    assert '<span class="badge-sample">' not in response.content.decode()


def _home_links(content):
    """Township code → the community codes linked under it on the home page."""
    cards = re.findall(
        r'<section class="township-card" id="township-([\w-]+)".*?</section>', content, re.S
    )
    found = {}
    for code in cards:
        card = re.search(
            rf'<section class="township-card" id="township-{code}".*?</section>', content, re.S
        )[0]
        found[code] = re.findall(r'<li><a href="/communities/([\w-]+)/">', card)
    return found


def test_home_lists_at_most_twelve_communities_of_a_township_and_links_to_all(en):
    big, small = make_township(code="big", name_en="Big town"), make_township(code="small")
    for n in range(15):
        make_community(township=big, code=f"big-{n:02d}")
    make_community(township=small, code="small-1")

    content = en.get("/").content.decode()

    assert _home_links(content) == {
        "big": [f"big-{n:02d}" for n in range(COMMUNITIES_PER_TOWNSHIP)],
        "small": ["small-1"],
    }
    assert re.findall(r'<a href="([^"]+)" data-township-all="(\w+)">([^<]+)<span', content) == [
        ("/communities/?township=big", "big", "All 15 communities of Big town")
    ]
    # The link leads to the directory filtered by that township.
    directory = en.get("/communities/", {"township": "big"})
    assert directory.context["page"].paginator.count == 15


@pytest.mark.parametrize(("count", "shown"), [(3, 3), (60, COMMUNITIES_PER_TOWNSHIP)])
def test_home_size_is_bounded_whatever_the_number_of_communities(client, count, shown):
    township = make_township(code="only")
    for _ in range(count):
        make_community(township=township)

    content = client.get("/").content.decode()

    assert len(_home_links(content)["only"]) == shown
    assert f'<dd class="stats__value" id="total-communities">{count}</dd>' in content


def test_home_townships_are_paged_with_county_totals(en):
    for n in range(25):
        make_community(township=make_township(code=f"t{n:02d}"))

    first_response, second_response = en.get("/"), en.get("/", {"page": "2"})
    first, second = first_response.content.decode(), second_response.content.decode()

    assert list(_home_links(first)) == [f"t{n:02d}" for n in range(settings.PAGE_SIZE)]
    assert list(_home_links(second)) == [f"t{n:02d}" for n in range(settings.PAGE_SIZE, 25)]
    assert re.findall(r'<tr data-township="([\w-]+)">', second) == [
        f"t{n:02d}" for n in range(settings.PAGE_SIZE, 25)
    ]
    for response in (first_response, second_response):
        assert tables(response)[0]["tfoot"] == [["County total", "25", "25,000", "75,000"]]
    assert "Townships 21 to 25 of 25." in second
    assert 'aria-label="Page 2"' in first


@pytest.mark.parametrize("page", ["abc", "0", "-2", "999", "2.5", ""])
def test_home_bad_page_gives_the_nearest_page(client, tree, page):
    response = client.get("/", {"page": page})

    assert response.status_code == 200
    assert list(_home_links(response.content.decode())) == ["north", "south"]


def test_home_queries_are_the_same_for_one_and_many_pages(client):
    def measure(townships):
        for _ in range(townships):
            township = make_township()
            for _ in range(14):
                make_community(township=township)
        with CaptureQueriesContext(connection) as queries:
            client.get("/")
        return len(queries)

    assert measure(1) == measure(30) == PUBLIC_QUERIES["/"]


# ---------- Directory ----------


def test_directory_lists_active_communities(en, tree):
    make_community(township=tree["north"], code="gone", status=Community.Status.DISSOLVED)

    response = en.get("/communities/")

    assert [row[0] for row in body_rows(response)] == [
        tree["home"].name_en,
        tree["neighbour"].name_en,
        tree["far"].name_en,
    ]
    assert body_rows(response)[0] == [
        tree["home"].name_en,
        tree["north"].name_en,
        "2002",
        "1,000 Sample data",
        "Active",
    ]
    assert "3 communities found" in response.content.decode()


def test_directory_filters_by_township(en, tree):
    response = en.get("/communities/", {"township": "south"})

    assert [row[0] for row in body_rows(response)] == [tree["far"].name_en]
    assert "1 community found" in response.content.decode()


def test_directory_filters_by_name(client, tree):
    response = client.get("/communities/", {"q": tree["neighbour"].name})

    assert [row[0] for row in body_rows(response)] == [tree["neighbour"].name]


def test_directory_filters_by_code(client, tree):
    response = client.get("/communities/", {"q": "FAR"})

    assert [row[0] for row in body_rows(response)] == [tree["far"].name]


def test_directory_with_no_match_shows_empty_state(en, tree):
    response = en.get("/communities/", {"q": "没有这个社区"})

    content = response.content.decode()
    assert tables(response) == []
    assert "0 communities found" in content
    assert "No community matches these filters." in content


def test_directory_pager_keeps_the_filter(en, tree):
    for n in range(settings.PAGE_SIZE + 5):
        make_community(township=tree["north"], code=f"extra-{n:02d}")

    first = en.get("/communities/", {"township": "north"})
    second = en.get("/communities/", {"township": "north", "page": "2"})

    first_content = first.content.decode()
    assert len(body_rows(first)) == settings.PAGE_SIZE
    assert '<a href="?township=north&amp;page=2" rel="next">Next</a>' in first_content
    assert '<a href="?township=north&amp;page=2" aria-label="Page 2">2</a>' in first_content
    assert "27 communities found" in first_content
    assert len(body_rows(second)) == 7
    assert '<a href="?township=north&amp;page=1" rel="prev">Previous</a>' in second.content.decode()
    assert [row[0] for row in body_rows(second)][-1] == tree["neighbour"].name_en


def test_directory_page_out_of_range_shows_last_page(client, tree):
    response = client.get("/communities/", {"page": "999"})

    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert len(body_rows(response)) == 3


def test_directory_invalid_township_is_ignored_with_a_form_error(en, tree):
    response = en.get("/communities/", {"township": "nope"})

    assert response.status_code == 200
    assert response.context["filter"].form.errors == {"township": [invalid_choice_message()]}
    assert invalid_choice_message() in response.content.decode()
    assert len(body_rows(response)) == 3


def test_directory_township_choices_are_in_the_page_language(client, en, tree):
    english = en.get("/communities/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get("/communities/").content.decode()

    assert f'<option value="north">{tree["north"].name_en}</option>' in english
    assert f'<option value="north">{tree["north"].name}</option>' in chinese


# ---------- Profile ----------


@pytest.fixture
def profiled(tree):
    """`home` with a full record: history aside, everything the profile shows."""
    community = tree["home"]
    community.households = 2000
    community.premises_area_m2 = Decimal("250.0")
    community.address = "千岛湖镇测试路1号"
    community.description = "一个测试社区。"
    community.save()
    make_honour(community=community, title="县文明社区", level=Honour.Level.COUNTY, year=2007)
    make_honour(community=community, title="市级绿色社区", level=Honour.Level.CITY, year=2008)
    make_facility(community=community, kind=FacilityKind.PARTY_ROOM, area_m2=Decimal("45.5"))
    make_facility(community=community, kind=FacilityKind.POLICE_ROOM, area_m2=Decimal("20"))
    make_facility(community=community, kind=FacilityKind.YOUTH_ROOM, present=False, area_m2=None)
    party = make_body(community=community, kind=GovernanceBody.Kind.PARTY, name="测试社区党委")
    make_branch(organisation=party, name="第一楼道党支部", is_building_level=True, members=12)
    make_branch(organisation=party, name="机关党支部", is_building_level=False, members=8)
    committee = make_body(community=community, name="测试社区居委会")
    make_term(body=committee, number=1, starts_on=datetime.date(2005, 6, 1))
    make_term(body=committee, number=2, starts_on=datetime.date(2010, 6, 1), members=7)
    make_pairing(community=community, unit=make_unit(name="县工贸资产经营有限公司"))
    make_pairing(
        community=community,
        unit=make_unit(name="已结束的共建单位"),
        ended_on=datetime.date(2009, 1, 1),
    )
    make_user(
        Role.CLERK, community=community, username="wang.xiaoming", first_name="小明", last_name="王"
    )
    return community


def test_profile_shows_the_public_facts(en, profiled):
    response = en.get("/communities/home/")

    content = response.content.decode()
    assert response.status_code == 200
    assert (
        f'<h1>{profiled.name_en} <span class="h1-sub" lang="zh-Hans">{profiled.name}</span></h1>'
        in content
    )
    assert "千岛湖镇测试路1号" in content
    assert "<p>一个测试社区。</p>" in content
    assert "2 of the 9 standard facilities are in place." in content
    assert '<dd id="space-shortfall"><strong class="shortfall">150 m²</strong></dd>' in content
    assert content.index("<h3>City level</h3>") < content.index("<h3>County level</h3>")
    assert (
        '<span class="honour-list__title"><span lang="zh-Hans">市级绿色社区</span></span>'
        in content
    )
    assert (
        '<span class="honour-list__title"><span lang="zh-Hans">县文明社区</span></span>' in content
    )
    assert (
        '2 Party branches, of which 1 building-level (<span lang="zh-Hans">楼道党支部</span>).'
        in content
    )
    assert '<li><span lang="zh-Hans">县工贸资产经营有限公司</span></li>' in content
    assert "已结束的共建单位" not in content


def test_profile_facility_checklist_has_all_nine_kinds(en, profiled):
    response = en.get("/communities/home/")

    facilities = tables(response)[1]["tbody"]
    assert len(facilities) == len(FacilityKind)
    assert facilities[0] == ["Party-building room", "✓ Yes", "45.5"]
    assert facilities[2] == ["Police room", "✓ Yes", "20"]
    assert facilities[3] == ["Youth activity room", "✗ No", "\N{EN DASH}not recorded"]


def test_profile_shows_current_term_only(en, profiled):
    response = en.get("/communities/home/")

    governance = tables(response)[0]["tbody"]
    assert governance == [
        ["测试社区党委", "Party committee", "No term recorded"],
        ["测试社区居委会", "Residents' committee", "Term 2", "2010-06-01", "2015-06-01"],
    ]


def test_profile_has_no_personal_data(client, profiled):
    response = client.get("/communities/home/")

    content = response.content.decode()
    assert "wang.xiaoming" not in content
    assert "小明" not in content


def test_profile_marks_sample_figures(en, profiled):
    response = en.get("/communities/home/")

    # Households, residents, premises, the facilities' areas, the space standard's note and
    # the service networks' line (their state and dates are sample with the figures).
    assert response.content.decode().count('<span class="badge-sample">Sample data</span>') == 6


def test_profile_real_figures_have_no_badge(client, tree):
    tree["far"].figures_are_sample = False
    tree["far"].save()

    response = client.get("/communities/far/")

    assert '<span class="badge-sample">' not in response.content.decode()


def test_profile_restructuring_history(en, tree):
    from communities.models import Formation, FormerArea, Restructuring

    reform = Restructuring.objects.create(
        township=tree["north"], name="千岛湖镇社区体制改革", effective_year=2002
    )
    for name in ("原甲居民区", "原乙居民区"):
        area = FormerArea.objects.create(township=tree["north"], name=name)
        Formation.objects.create(restructuring=reform, former_area=area, community=tree["home"])

    response = en.get("/communities/home/")

    assert (
        "Formed in 2002 from the former residential areas "
        '<span lang="zh-Hans">原乙居民区</span>, <span lang="zh-Hans">原甲居民区</span> '
        '(<span lang="zh-Hans">千岛湖镇社区体制改革</span>).'
        in " ".join(response.content.decode().split())
    )


def test_profile_unknown_code_is_404(client, tree):
    response = client.get("/communities/nowhere/")

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("status", [Community.Status.DISSOLVED, Community.Status.MERGED])
def test_profile_of_a_closed_community_is_404(client, tree, status):
    tree["far"].status = status
    tree["far"].save()

    response = client.get("/communities/far/")

    assert response.status_code == 404


# ---------- Language ----------


def test_default_language_is_chinese(client, tree):
    response = client.get("/")

    content = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert content.startswith('<!DOCTYPE html>\n<html lang="zh-Hans">')
    assert (
        '<button type="submit" formaction="/i18n/language/zh-hans/" lang="zh-Hans" '
        'aria-current="true">中文</button>' in content
    )


def test_browser_language_does_not_switch_to_english(client, tree):
    response = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})

    assert '<html lang="zh-Hans">' in response.content.decode()


def test_switching_to_english(client, tree):
    switched = client.get("/i18n/language/en/", {"next": "/communities/"})
    response = client.get("/communities/")

    content = response.content.decode()
    assert switched.status_code == 302
    assert switched["Location"] == "/communities/"
    assert '<html lang="en">' in content
    assert (
        '<button type="submit" formaction="/i18n/language/en/" lang="en" '
        'aria-current="true">English</button>' in content
    )
    assert f'<a href="/communities/home/">{tree["home"].name_en}</a>' in content


def test_switching_with_djangos_set_language_still_works(client, tree):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/communities/"})
    response = client.get("/communities/")

    assert switched.status_code == 302
    assert switched["Location"] == "/communities/"
    assert '<html lang="en">' in response.content.decode()


def test_switching_back_to_chinese(client, tree):
    client.get("/i18n/language/en/", {"next": "/"})
    client.get("/i18n/language/zh-hans/", {"next": "/"})

    response = client.get("/")

    assert '<html lang="zh-Hans">' in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/communities/", "/communities/home/", "/accounts/login/", "/nowhere/"]
)
def test_switcher_on_every_public_page(client, tree, url):
    response = client.get(url)

    content = response.content.decode()
    switcher = content[content.index(SWITCHER) :]
    switcher = switcher[: switcher.index("</form>")]
    assert f'<input type="hidden" name="next" value="{url}">' in switcher
    # No CSRF token: the switcher must not keep public pages out of the cache.
    assert "csrfmiddlewaretoken" not in switcher


def test_switcher_keeps_the_query_string(client, tree):
    response = client.get("/communities/", {"township": "north", "q": "测试"})

    assert (
        '<input type="hidden" name="next" '
        'value="/communities/?township=north&amp;q=%E6%B5%8B%E8%AF%95">'
        in response.content.decode()
    )


def test_pages_have_skip_link_and_landmarks(en, tree):
    response = en.get("/")

    content = response.content.decode()
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in content
    assert '<main id="main" class="container site-main" tabindex="-1">' in content
    assert content.count("<h1>") == 1
    assert "<footer" in content
    assert 'style="' not in content
    assert "<script" not in content


def test_anonymous_nav_has_login_and_no_staff_links(en, tree):
    response = en.get("/communities/")

    content = response.content.decode()
    assert '<a class="site-nav__login" href="/accounts/login/?next=/communities/">' in content
    assert "/manage/" not in content
    assert '<a href="/communities/" aria-current="page">Communities</a>' in content


def test_login_page_shows_errors(en, tree):
    response = en.post("/accounts/login/", {"username": "nobody", "password": "wrong"})

    content = response.content.decode()
    assert response.status_code == 200
    # The shared summary at the top, taking the focus; the message links to the username.
    summary = soup(response).select_one("main #error-summary")
    assert summary["role"] == "alert" and summary.has_attr("autofocus")
    assert summary.h2.get_text(strip=True) == "You are not logged in."
    assert summary.select_one("li a")["href"] == "#id_username"
    assert "Demonstration accounts are listed in the README." in content


# ---------- Query counts ----------


def _populate(count):
    """`count` communities over three townships, each with honours, facilities and terms."""
    townships = [make_township() for _ in range(3)]
    communities = []
    for n in range(count):
        community = make_community(township=townships[n % 3])
        make_honour(community=community)
        make_facility(community=community)
        party = make_body(community=community, kind=GovernanceBody.Kind.PARTY)
        make_branch(organisation=party)
        make_term(body=make_body(community=community))
        make_pairing(community=community)
        communities.append(community)
    return communities


# Measured: the home page reads the townships, the county totals and the community list;
# the directory counts, reads a page and the township choices; the profile reads the
# community and its record (bodies + terms + branches, formations, facilities, honours,
# pairings), its rating history (one query, ratings with their rounds) and its service
# networks and outlets (one query each).
# The home page: the townships with their sums, the county totals, the communities by
# township, the rounds under public notice, the newest announcements.
PUBLIC_QUERIES = {"/": 6, "/communities/": 3, "profile": 11}


@pytest.mark.parametrize("count", [1, 15])
@pytest.mark.parametrize("page", ["/", "/communities/", "profile"])
def test_public_pages_query_count_is_constant(client, count, page, django_assert_num_queries):
    communities = _populate(count)
    url = communities[0].get_absolute_url() if page == "profile" else page

    with django_assert_num_queries(PUBLIC_QUERIES[page]):
        response = client.get(url)

    assert response.status_code == 200


def test_directory_query_count_same_for_few_and_many(client):
    few = _populate(1)
    with CaptureQueriesContext(connection) as small:
        client.get("/communities/", {"township": few[0].township.code})
    many = _populate(15)
    with CaptureQueriesContext(connection) as large:
        client.get("/communities/", {"township": many[0].township.code})

    assert len(small) == len(large)


# ---------- Error pages ----------


def test_server_error_page_is_standalone(rf, django_assert_num_queries):
    with translation.override("en"), django_assert_num_queries(0):
        response = server_error(rf.get("/"))

    content = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="en">' in content
    assert "<h1>Server error</h1>" in content
    assert "Traceback" not in content


def _suspicious(request):
    raise SuspiciousOperation("technical detail that must not leak")


# This module doubles as a URLconf for the error-page test: the portal plus one failing view.
urlpatterns = [
    path("suspicious/", _suspicious),
    path("", include("chunan_community.urls")),
]


@pytest.mark.urls(__name__)
def test_bad_request_page_in_the_users_language(en, tree):
    response = en.get("/suspicious/")

    content = response.content.decode()
    assert response.status_code == 400
    assert response.templates[0].name == "400.html"
    assert '<html lang="en">' in content
    assert "<h1>Bad request</h1>" in content
    assert "technical detail" not in content
    assert SWITCHER in content
