"""Staff pages stay the same size at province scale: community pickers and the pager.

Up to communities.forms.SELECT_MAX communities in scope a picker is a select; beyond, a
search box for a code or part of a name, so the returns list and the export form do not
list every community. `community=<code>` keeps working in both.
"""

import datetime
import re

import pytest
from django.conf import settings

from communities.forms import SELECT_MAX
from communities.models import Community, MonthlyReturn, ReturnStatus
from tests.factories import make_township

pytestmark = pytest.mark.django_db

PERIOD = datetime.date(2026, 10, 1)
CSV_URL = "/returns/export.csv"


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, user):
    client.force_login(user)
    return client


def add_communities(count, *, township=None, returns=False):
    """`count` communities in one new township (bulk: the test for 80 stays fast)."""
    township = township or make_township(code=f"t{count}", name=f"新镇{count}")
    communities = Community.objects.bulk_create(
        Community(
            township=township,
            code=f"{township.code}-c{n:03d}",
            name=f"{township.name}社区{n:03d}",
            name_en=f"{township.code} community {n:03d}",
            founded_year=2002,
        )
        for n in range(count)
    )
    if returns:
        MonthlyReturn.objects.bulk_create(
            MonthlyReturn(community=c, period=PERIOD, status=ReturnStatus.SUBMITTED)
            for c in communities
        )
    return communities


def options(html: str, name: str) -> list[str]:
    """The values of the options of the <select name=…> in `html` ([] when there is none)."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', match.group(1)) if match else []


def field_tag(html: str, name: str) -> str:
    """The opening tag of the <input> or <select> named `name`, or ""."""
    match = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html)
    return match.group(0) if match else ""


def returned_codes(response) -> list[str]:
    return sorted(r.community.code for r in response.context["page"])


# ---------- The returns list ----------


@pytest.mark.parametrize(("extra", "community_options"), [(5, 8 + 1), (80, 0)])
def test_returns_list_options_do_not_grow_with_the_communities(
    en, tree, users, extra, community_options
):
    add_communities(extra)

    html = login(en, users["county"]).get("/returns/").content.decode()

    # tree's 3 communities and `extra` more: a select up to SELECT_MAX, a search box beyond.
    assert len(options(html, "community")) == community_options
    # Every other option: 3 townships and "All", 5 statuses and "All".
    assert html.count("<option") == community_options + 4 + 6
    tag = field_tag(html, "community")
    assert tag.startswith("<select" if extra + 3 <= SELECT_MAX else '<input type="search"')


def test_returns_list_page_size_is_capped(en, tree, users):
    add_communities(5)
    small = len(login(en, users["county"]).get("/returns/").content)
    add_communities(75)
    large = len(en.get("/returns/").content)

    # 80 communities in one more township: one more township option (under 100 bytes),
    # no community options (a select of 80 would add several kilobytes).
    assert large - small < 100


def test_returns_list_search_by_exact_code_keeps_old_links(en, tree, users):
    communities = add_communities(80, returns=True)

    response = login(en, users["county"]).get("/returns/", {"community": communities[7].code})

    assert returned_codes(response) == [communities[7].code]
    assert 'value="t80-c007"' in field_tag(response.content.decode(), "community")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c07", [f"t80-c{n:03d}" for n in range(70, 80)]),  # part of the code
        ("社区012", ["t80-c012"]),  # part of the name
        ("COMMUNITY 04", [f"t80-c{n:03d}" for n in range(40, 50)]),  # English, any case
        ("nowhere", []),
    ],
)
def test_returns_list_search_by_part_of_code_or_name(en, tree, users, text, expected):
    add_communities(80, returns=True)

    response = login(en, users["county"]).get("/returns/", {"community": text})

    assert returned_codes(response) == expected


def test_returns_list_search_stays_in_scope(en, tree, users):
    add_communities(80, township=tree["north"], returns=True)
    MonthlyReturn.objects.create(community=tree["far"], period=PERIOD)

    response = login(en, users["township"]).get("/returns/", {"community": "far"})

    # North's 82 communities: a search box; `far` (south) is not found, not shown.
    assert field_tag(response.content.decode(), "community").startswith('<input type="search"')
    assert returned_codes(response) == []


def test_returns_list_township_with_few_communities_keeps_a_select(en, tree, users):
    add_communities(80)  # in another township: not the township user's scope

    html = login(en, users["township"]).get("/returns/").content.decode()

    assert options(html, "community") == ["", "home", "neighbour"]


def test_returns_list_select_refuses_a_community_outside_the_scope(en, tree, users):
    response = login(en, users["township"]).get("/returns/", {"community": "far"})

    assert response.context["filter"].form.errors == {
        "community": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_returns_list_pager_has_a_fixed_number_of_links(en, tree, users, settings):
    settings.PAGE_SIZE = 1
    add_communities(80, returns=True)

    html = login(en, users["county"]).get("/returns/", {"page": 40}).content.decode()

    pager = re.search(r'<ul class="pager__list">(.*?)</ul>', html, re.S).group(1)
    # First, Previous, 1, …, 38 to 42, …, 80, Next, Last: not one link per page.
    assert re.findall(r">([^<>]+)</a>", pager) == [
        "First",
        "Previous",
        "1",
        "38",
        "39",
        "40",
        "41",
        "42",
        "80",
        "Next",
        "Last",
    ]
    assert pager.count("pager__gap") == 2


# ---------- The export form ----------


def test_export_form_of_a_clerk_has_no_pickers(en, tree, users):
    html = login(en, users["clerk"]).get("/returns/import/").content.decode()

    assert field_tag(html, "community") == ""
    assert field_tag(html, "township") == ""
    assert field_tag(html, "month_from").startswith("<input")


def test_export_form_of_township_staff_has_no_township_picker(en, tree, users):
    html = login(en, users["township"]).get("/returns/import/").content.decode()

    assert field_tag(html, "township") == ""
    assert options(html, "community") == ["", "home", "neighbour"]


def test_export_form_at_scale_is_a_search_box(en, tree, users):
    add_communities(80)

    html = login(en, users["county"]).get("/returns/import/").content.decode()

    assert field_tag(html, "community").startswith('<input type="search"')
    assert options(html, "community") == []


@pytest.mark.parametrize("text", ["t80-c012", "新镇80社区012", "T80 Community 012", "社区012"])
def test_export_at_scale_finds_one_community_by_code_or_name(en, tree, users, text):
    add_communities(80, returns=True)

    response = login(en, users["county"]).get(CSV_URL, {"community": text})

    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["t80-c012"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("社区01", "Several communities match “社区01” (t80-c010, t80-c011, t80-c012…)"),
        ("nowhere", "No community in your area has this code or name."),
    ],
)
def test_export_at_scale_refuses_an_unclear_community(en, tree, users, text, message):
    add_communities(80, returns=True)

    response = login(en, users["county"]).get(CSV_URL, {"community": text})

    assert response.status_code == 400
    assert message in response.content.decode()
