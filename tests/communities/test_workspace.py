"""The staff workspace: access by role, the community record, terms due, space standard."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from communities.models import GovernanceBody, Role
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
)
from tests.html import soup, tables
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db

# Terms in these tests start on a fixed date: the factory derives a default end by adding five
# years to the start, which fails for a start on 29 February.
START = datetime.date(2020, 1, 15)
WORKSPACE_URLS = ["/manage/", "/manage/terms-due/", "/manage/space-standard/"]


def first_column(response):
    """The first cell of each body row of the page's (first) results table."""
    found = tables(response)
    return [row[0] for row in found[0]["tbody"]] if found else []


def field_message(field, key, **params):
    with translation.override("en"):
        return str(field.default_error_messages[key]) % params


@pytest.fixture
def en(client):
    """Interface text in English, so the assertions survive the Chinese catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, user):
    client.force_login(user)
    return client


# ---------- Who may open the workspace ----------


@pytest.mark.parametrize("url", [*WORKSPACE_URLS, "/manage/communities/home/"])
def test_workspace_anonymous_is_sent_to_login(client, tree, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("no_role", "/manage/"),
        *[
            (role, url)
            for role in ("judge", "no_role")
            for url in [*WORKSPACE_URLS[1:], "/manage/communities/home/"]
        ],
    ],
)
def test_workspace_without_registry_role_is_403(en, users, role, url):
    response = login(en, users[role]).get(url)

    assert response.status_code == 403
    assert response.templates[0].name == "403.html"
    assert "<h1>Access denied</h1>" in response.content.decode()


def test_workspace_sends_a_judge_to_their_rating_rounds(client, users):
    """The log-in lands on the workspace (LOGIN_REDIRECT_URL): a judge keeps no registry."""
    response = login(client, users["judge"]).get("/manage/")

    assert response.status_code == 302
    assert response["Location"] == "/ratings/manage/"


def test_workspace_clerk_is_sent_to_their_community(client, users):
    response = login(client, users["clerk"]).get("/manage/")

    assert response.status_code == 302
    assert response["Location"] == "/manage/communities/home/"


@pytest.mark.parametrize("code", ["neighbour", "far"])
def test_workspace_clerk_gets_404_for_other_communities(client, users, code):
    response = login(client, users["clerk"]).get(f"/manage/communities/{code}/")

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("clerk", "home", 200),
        ("township", "home", 200),
        ("township", "neighbour", 200),
        ("township", "far", 404),
        ("other_township", "home", 404),
        ("other_township", "far", 200),
        ("county", "home", 200),
        ("county", "neighbour", 200),
        ("county", "far", 200),
    ],
)
def test_workspace_community_scope_matrix(client, users, role, code, status):
    response = login(client, users[role]).get(f"/manage/communities/{code}/")

    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("township", ["home", "neighbour"]),
        ("other_township", ["far"]),
        ("county", ["home", "neighbour", "far"]),
    ],
)
def test_workspace_lists_communities_in_scope(en, tree, users, role, expected):
    response = login(en, users[role]).get("/manage/")

    assert first_column(response) == [tree[key].name_en for key in expected]
    content = response.content.decode()
    for key in expected:
        assert f'<a href="/manage/communities/{tree[key].code}/">' in content


def test_workspace_nav_marks_the_records_and_shows_the_user(en, users):
    response = login(en, users["county"]).get("/manage/")

    content = response.content.decode()
    assert '<a href="/manage/" aria-current="page">Community records</a>' in content
    assert '<a class="user-box__name" href="/account/" title="My account">county</a>' in content
    assert '<span class="user-box__role">County civil-affairs staff</span>' in content
    assert '<form class="inline-form" method="post" action="/accounts/logout/">' in content


def test_workspace_judge_nav_has_no_registry_links(en, users):
    response = login(en, users["judge"]).get("/")

    content = response.content.decode()
    assert 'href="/manage/"' not in content
    assert 'href="/returns/"' not in content
    assert '<span class="user-box__role">Review-panel judge</span>' in content


def test_workspace_filters_by_township_and_name(en, tree, users):
    county = login(en, users["county"])

    by_township = county.get("/manage/", {"township": "south"})
    by_name = county.get("/manage/", {"q": tree["neighbour"].name})

    assert first_column(by_township) == [tree["far"].name_en]
    assert first_column(by_name) == [tree["neighbour"].name_en]


def test_workspace_counters(en, tree, users):
    tree["home"].premises_area_m2 = Decimal("100")
    tree["home"].save()
    soon = timezone.localdate() + datetime.timedelta(days=10)
    make_term(
        body=make_body(community=tree["far"]),
        starts_on=START,
        ends_on=soon,
    )

    county = login(en, users["county"]).get("/manage/").content.decode()
    township = login(en, users["township"]).get("/manage/").content.decode()

    assert '<span class="counter__value" id="terms-due-count">1</span>' in county
    assert '<span class="counter__value" id="below-standard-count">1</span>' in county
    assert '<span class="counter__value" id="terms-due-count">0</span>' in township
    assert '<span class="counter__value" id="below-standard-count">1</span>' in township


def test_workspace_bad_input_does_not_fail(en, tree, users):
    response = login(en, users["county"]).get("/manage/", {"township": "nope", "page": "999"})

    assert response.status_code == 200
    assert response.context["filter"].form.errors == {
        "township": [field_message(forms.ModelChoiceField, "invalid_choice")]
    }
    assert len(first_column(response)) == 3


# ---------- The community record ----------


@pytest.fixture
def record(tree):
    """`home` with terms (one current and ending soon), branches, pairings, honours."""
    community = tree["home"]
    today = timezone.localdate()
    committee = make_body(community=community, name="测试居委会")
    make_term(
        body=committee,
        number=1,
        elected_on=datetime.date(2005, 5, 20),
        starts_on=datetime.date(2005, 6, 1),
        ends_on=datetime.date(2008, 6, 1),
        members=5,
    )
    make_term(
        body=committee,
        number=2,
        elected_on=START,
        starts_on=START,
        ends_on=today + datetime.timedelta(days=30),
        members=7,
        is_sample=True,
    )
    assembly = make_body(
        community=community, kind=GovernanceBody.Kind.ASSEMBLY, name="测试成员代表大会"
    )
    make_term(
        body=assembly,
        number=3,
        starts_on=START,
        ends_on=today - datetime.timedelta(days=5),
    )
    party = make_body(community=community, kind=GovernanceBody.Kind.PARTY, name="测试党委")
    branch = make_branch(organisation=party, name="第一楼道党支部", members=15)
    make_pairing(
        community=community,
        unit=make_unit(name="县工贸资产经营有限公司"),
        party_branch=branch,
        started_on=datetime.date(2008, 3, 1),
        contribution="活动场地",
    )
    make_honour(community=community, title="县文明社区")
    make_facility(community=community)
    return community


def test_workspace_record_shows_all_terms_and_flags(en, users, record):
    response = login(en, users["county"]).get("/manage/communities/home/")

    content = response.content.decode()
    found = tables(response)
    # Bodies in the order of their kind: assembly, Party (no terms), residents' committee.
    committee_terms = found[1]["tbody"]
    assert committee_terms[1] == [
        "Term 1",
        "2005-05-20",
        "2005-06-01",
        "2008-06-01",
        "5",
        "Past",
    ]
    assert committee_terms[0][0] == "Term 2 Sample data"
    assert committee_terms[0][4:] == ["7", "Current, election due soon"]
    assert found[0]["tbody"][0][5] == "Current, election overdue"
    assert content.count('<tr class="term-current term-due">') == 1
    assert content.count('<tr class="term-current term-overdue">') == 1
    assert 'class="alert alert--overdue"' in content
    assert 'class="alert alert--due"' in content


def test_workspace_record_shows_branches_and_pairings(en, users, record):
    response = login(en, users["township"]).get("/manage/communities/home/")

    count = soup(response).select_one("#branch-count")
    assert " ".join(count.get_text().split()) == (
        "1 Party branch, of which 1 building-level (楼道党支部)."
    )
    # The county's own term is marked Chinese on the English page (WCAG 3.1.2).
    assert count.select_one('span[lang="zh-Hans"]').get_text() == "楼道党支部"
    branches, pairings = tables(response)[2]["tbody"], tables(response)[3]["tbody"]
    assert branches == [["第一楼道党支部", "Yes", "15"]]
    assert pairings == [
        ["县工贸资产经营有限公司", "第一楼道党支部", "2008-03-01", "ongoing", "活动场地"]
    ]


@pytest.mark.parametrize("role", ["county", "township", "clerk"])
def test_workspace_record_links_to_its_record_pages_not_the_admin(en, tree, users, role):
    """Everyday edits are made in the portal's record pages (issue 14), not the admin."""
    response = login(en, users[role]).get("/manage/communities/home/")

    assert response.context["can_change"] is True
    content = response.content.decode()
    assert '<a class="button button--quiet" href="/manage/communities/home/edit/basic/">' in (
        content
    )
    assert "/admin/" not in content.split('<main id="main"')[1]


def test_workspace_record_of_dissolved_community_has_no_public_link(en, tree, users):
    tree["far"].status = "dissolved"
    tree["far"].save()

    response = login(en, users["county"]).get("/manage/communities/far/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "<dd>Dissolved</dd>" in content
    assert 'href="/communities/far/"' not in content


# ---------- Terms due ----------


@pytest.fixture
def due(tree):
    """A residents' committee per community; the terms end in 30 days, far's ended 5 days ago."""
    today = timezone.localdate()
    for key, days in (("home", 30), ("neighbour", 45), ("far", -5)):
        make_term(
            body=make_body(community=tree[key], name=f"{key}居委会"),
            number=4,
            starts_on=START,
            ends_on=today + datetime.timedelta(days=days),
        )
    # Not due: ends in a year.
    make_term(
        body=make_body(community=tree["home"], kind=GovernanceBody.Kind.DELIBERATION),
        starts_on=START,
        ends_on=today + datetime.timedelta(days=365),
    )
    return tree


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("clerk", ["home"]),
        ("township", ["home", "neighbour"]),
        ("other_township", ["far"]),
        ("county", ["far", "home", "neighbour"]),
    ],
)
def test_terms_due_lists_rows_in_scope(en, due, users, role, expected):
    response = login(en, users[role]).get("/manage/terms-due/")

    assert first_column(response) == [due[key].name_en for key in expected]


def test_terms_due_row_content(en, due, users):
    response = login(en, users["county"]).get("/manage/terms-due/")

    rows = tables(response)[0]["tbody"]
    far_ends = timezone.localdate() - datetime.timedelta(days=5)
    assert rows[0][:4] == [
        due["far"].name_en,
        due["south"].name_en,
        "far居委会 (Residents' committee)",
        "Term 4",
    ]
    assert rows[0][5] == "Overdue"
    assert rows[1][5] == "Due in 30 days"
    assert rows[2][5] == "Due in 45 days"
    assert f'<time datetime="{far_ends:%Y-%m-%d}">' in response.content.decode()
    assert "3 term elections due" in response.content.decode()


def test_terms_due_days_and_township_filters(en, due, users):
    county = login(en, users["county"])

    shorter = county.get("/manage/terms-due/", {"days": "40"})
    longer = county.get("/manage/terms-due/", {"days": "400", "township": "north"})

    assert first_column(shorter) == [due["far"].name_en, due["home"].name_en]
    assert first_column(longer) == [
        due["home"].name_en,
        due["neighbour"].name_en,
        due["home"].name_en,
    ]
    assert "within the next 400 days" in longer.content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"days": "abc"}, "days", field_message(forms.IntegerField, "invalid")),
        ({"days": "-5"}, "days", "Ensure this value is greater than or equal to 1."),
        ({"township": "nope"}, "township", field_message(forms.ModelChoiceField, "invalid_choice")),
    ],
)
def test_terms_due_bad_input_shows_form_error(en, due, users, params, field, message):
    response = login(en, users["county"]).get("/manage/terms-due/", params)

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert message in response.content.decode()
    assert response.context["days"] == settings.TERMS_DUE_DAYS
    assert len(first_column(response)) == 3


def test_terms_due_page_out_of_range(en, due, users):
    response = login(en, users["county"]).get("/manage/terms-due/", {"page": "999"})

    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert len(first_column(response)) == 3


def test_terms_due_empty(en, tree, users):
    response = login(en, users["county"]).get("/manage/terms-due/")

    assert "No term election falls due in this period." in response.content.decode()


# ---------- Space standard ----------


@pytest.fixture
def short(tree):
    """home is 50 m² short, far 100 m² (1000 households need 200 m²); neighbour meets it."""
    for key, premises in (("home", "150"), ("far", "100")):
        tree[key].premises_area_m2 = Decimal(premises)
        tree[key].save()
    return tree


@pytest.mark.parametrize(
    ("role", "expected", "total"),
    [
        ("clerk", ["home"], "50"),
        ("township", ["home"], "50"),
        ("other_township", ["far"], "100"),
        ("county", ["far", "home"], "150"),
    ],
)
def test_space_standard_lists_rows_in_scope(en, short, users, role, expected, total):
    response = login(en, users[role]).get("/manage/space-standard/")

    rows = tables(response)[0]
    assert [row[0] for row in rows["tbody"]] == [
        f"{short[k].name_en} Sample data" for k in expected
    ]
    assert rows["tfoot"] == [["Total shortfall", total]]
    assert response.context["total_shortfall"] == Decimal(total)


def test_space_standard_row_content(en, short, users):
    response = login(en, users["county"]).get("/manage/space-standard/")

    assert tables(response)[0]["tbody"][0] == [
        f"{short['far'].name_en} Sample data",
        short["south"].name_en,
        "1,000",
        "200",
        "100",
        "100",
    ]
    assert "Households and areas in the demonstration data are sample figures" in (
        response.content.decode()
    )


def test_space_standard_filter_and_bad_input(en, short, users):
    county = login(en, users["county"])

    filtered = county.get("/manage/space-standard/", {"township": "north"})
    bad = county.get("/manage/space-standard/", {"township": "nope", "page": "abc"})

    assert first_column(filtered) == [f"{short['home'].name_en} Sample data"]
    assert bad.status_code == 200
    assert bad.context["filter"].form.errors == {
        "township": [field_message(forms.ModelChoiceField, "invalid_choice")]
    }
    assert len(first_column(bad)) == 2


def test_space_standard_empty(en, tree, users):
    response = login(en, users["county"]).get("/manage/space-standard/")

    assert "No community below the space standard was found." in response.content.decode()


# ---------- Query counts ----------


def _populate(count, township):
    for _ in range(count):
        community = make_community(township=township, premises_area_m2=Decimal("10"))
        party = make_body(community=community, kind=GovernanceBody.Kind.PARTY)
        make_branch(organisation=party)
        make_term(
            body=make_body(community=community),
            starts_on=START,
            ends_on=timezone.localdate() + datetime.timedelta(days=10),
        )
        make_pairing(community=community)
        make_honour(community=community)
        make_facility(community=community)


# Measured. Every page: the session, the user and the user's scope (3). The workspace adds
# the two counters, the count and page of communities and the township choices; the record
# adds the community and its record (8), its service networks and outlets (2) and its latest
# changes (the page of them, the versions of each kind of record on it and the names they
# point to: 6 here); the lists
# add the count, the page and the township choices (space standard: and the total).
STAFF_QUERIES = {
    "/manage/": 8,
    "/manage/communities/first/": 19,
    "/manage/terms-due/": 6,
    "/manage/space-standard/": 7,
}


@pytest.mark.parametrize("count", [1, 15])
@pytest.mark.parametrize("url", list(STAFF_QUERIES))
def test_staff_pages_query_count_is_constant(client, users, count, url, django_assert_num_queries):
    township = make_township()
    first = make_community(township=township, code="first", premises_area_m2=Decimal("10"))
    make_term(body=make_body(community=first), ends_on=timezone.localdate())
    _populate(count, township)
    client.force_login(users["county"])

    with django_assert_num_queries(STAFF_QUERIES[url] + NAV_QUERIES[Role.COUNTY]):
        response = client.get(url)

    assert response.status_code == 200


def test_terms_due_query_count_same_for_township_staff(client, tree, users):
    client.force_login(users["township"])
    _populate(1, tree["north"])
    with CaptureQueriesContext(connection) as small:
        client.get("/manage/terms-due/", {"township": "north"})
    _populate(15, tree["north"])
    with CaptureQueriesContext(connection) as large:
        client.get("/manage/terms-due/", {"township": "north"})

    assert len(small) == len(large)
