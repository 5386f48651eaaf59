"""Everyday edits of a community's record in the portal (issue 14): who may open and post
each record page, what they may change (the sample-data flags are the county's), the
history each save writes, refused input, and the queries the pages cost."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import (
    CoBuildingPairing,
    Community,
    Facility,
    GovernanceBody,
    Honour,
    PartyBranch,
    Role,
    Term,
)
from communities.validators import validate_phone_number
from tests.factories import (
    make_body,
    make_branch,
    make_facility,
    make_honour,
    make_pairing,
    make_term,
    make_unit,
)
from tests.html import soup, tables
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db

SECTIONS = ("basic", "facilities", "bodies", "branches", "pairings", "honours")
WORKSPACE = "/manage/communities/home/"


def edit_url(section, code="home"):
    return f"/manage/communities/{code}/edit/{section}/"


CHANGES = "/manage/communities/home/changes/"


@pytest.fixture
def en(client):
    """Interface text in English, so the assertions survive the Chinese catalogue."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def record(tree):
    """`home`'s record: its Party organisation with a branch and two terms, the residents'
    committee with a term, a pairing, an honour, a facility; `far` has a term of its own."""
    home = tree["home"]
    party = make_body(community=home, kind=GovernanceBody.Kind.PARTY, name="家园社区党委")
    committee = make_body(community=home, name="家园社区居委会")
    unit = make_unit(name="县工贸资产经营有限公司")
    far_body = make_body(community=tree["far"], name="远方社区居委会")
    return {
        "party": party,
        "committee": committee,
        "old_term": make_term(
            body=party,
            number=6,
            elected_on=datetime.date(2018, 3, 1),
            starts_on=datetime.date(2018, 3, 1),
            ends_on=datetime.date(2021, 3, 1),
        ),
        "term": make_term(
            body=party,
            number=7,
            elected_on=datetime.date(2021, 3, 1),
            starts_on=datetime.date(2021, 3, 1),
            ends_on=datetime.date(2026, 3, 1),
            is_sample=True,
        ),
        "committee_term": make_term(
            body=committee,
            number=7,
            starts_on=datetime.date(2022, 1, 8),
            ends_on=datetime.date(2027, 1, 8),
        ),
        "branch": make_branch(organisation=party, name="第一楼道党支部", members=15),
        "unit": unit,
        "other_unit": make_unit(name="县人民医院"),
        "pairing": make_pairing(unit=unit, community=home, started_on=datetime.date(2008, 3, 1)),
        "honour": make_honour(community=home, title="县文明社区"),
        "facility": make_facility(community=home, kind="police_room", area_m2=Decimal(14)),
        "far_term": make_term(body=far_body, number=3),
    }


def login(client, user):
    client.force_login(user)
    return client


def form_data(response, selector="main form[method=post]") -> dict:
    """What the browser sends for the page's form as it stands: every named input (ticked
    boxes only), select and text area with its current value."""
    form = soup(response).select_one(selector)
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            data[name] = field.text.removeprefix("\n").removeprefix("\r\n")
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        elif field.get("type") != "submit":
            data[name] = field.get("value", "")
    return data


def page_data(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return form_data(response)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def summary(response) -> list[str]:
    return [item["text"] for item in response.context["error_summary"]]


def row_prefix(response, formset_prefix, pk) -> str:
    """The prefix of the formset row holding the record `pk`."""
    data = form_data(response)
    for key, value in data.items():
        if key.startswith(formset_prefix) and key.endswith("-id") and value == str(pk):
            return key.removesuffix("id")
    raise AssertionError(f"no row for {pk}")


RECORD_MODELS = (Community, Facility, GovernanceBody, Term, PartyBranch, CoBuildingPairing, Honour)
# What a Chinese input method types: full-width digits and dash (U+FF10 to U+FF19, U+FF0D).
FULL_WIDTH_PHONE = "".join(chr(ord(c) + 0xFEE0) for c in "0571-64812345")


def history_rows() -> list:
    """Every history row of the record's models, to tell that nothing was written."""
    return [
        (model.__name__, row)
        for model in RECORD_MODELS
        for row in model.history.order_by("history_id").values_list("history_id", flat=True)
    ]


# ---------- Who may open and post each page ----------

# role → the answer to every record page of `home`; honours are the township's and the
# county's (POLICY), so `home`'s clerk gets 403 there.
ANSWERS = {
    "judge": 403,
    "no_role": 403,
    "other_clerk": 404,
    "other_township": 404,
    "clerk": 200,
    "township": 200,
    "county": 200,
}


def expected(role, section):
    if role == "clerk" and section == "honours":
        return 403
    return ANSWERS[role]


@pytest.mark.parametrize("section", [*SECTIONS, "changes"])
def test_record_pages_send_a_visitor_to_log_in(client, tree, section):
    url = CHANGES if section == "changes" else edit_url(section)

    responses = [client.get(url), client.post(url, {})]

    assert [r.status_code for r in responses] == [302, 302]
    assert responses[0]["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("role", list(ANSWERS))
@pytest.mark.parametrize("section", SECTIONS)
def test_record_page_get_by_role(client, users, record, role, section):
    response = login(client, users[role]).get(edit_url(section))

    assert response.status_code == expected(role, section)
    if response.status_code == 200:
        assert response.templates[0].name == f"communities/record/{section}.html"


@pytest.mark.parametrize("role", list(ANSWERS))
def test_change_history_get_by_role(client, users, record, role):
    response = login(client, users[role]).get(CHANGES)

    assert response.status_code == ANSWERS[role]


@pytest.mark.parametrize("role", list(ANSWERS))
@pytest.mark.parametrize("section", SECTIONS)
def test_record_page_post_by_role(client, users, record, role, section):
    """The page's own form as the county sends it, with one change, posted by each role:
    saved (a redirect to the workspace) by those who may, refused with nothing written by
    the others."""
    county = login(client, users["county"])
    data = page_data(county, edit_url(section))
    data.update(_one_change(section, data))
    client.logout()
    before = history_rows()

    response = login(client, users[role]).post(edit_url(section), data)

    if expected(role, section) == 200:
        assert (response.status_code, response["Location"]) == (302, WORKSPACE)
        assert history_rows() != before
    else:
        assert response.status_code == expected(role, section)
        assert history_rows() == before


def _one_change(section, data, n=1) -> dict:
    """A change to one record of the page (`n` makes another)."""
    if section == "basic":
        return {"address": f"淳安县千岛湖镇新安大街{n}号"}
    if section == "facilities":
        return {"facility-youth_room-present": "on", "facility-youth_room-area_m2": str(20 + n)}
    if section == "bodies":
        return {"body-party-name": f"家园社区党总支{n}"}
    if section == "branches":
        return {"branches-0-members": str(15 + n)}
    if section == "pairings":
        return {"pairings-0-contribution": f"活动场地{n}"}
    return {"honours-0-year": str(2000 + n)}


def test_clerk_cannot_post_another_communitys_record_into_a_formset(en, users, record):
    """A row id of another community's term is not a row of this page: refused, and the
    other community's term stays as it was."""
    client = login(en, users["clerk"])
    response = client.get(edit_url("bodies"))
    data = form_data(response)
    prefix = row_prefix(response, "terms-party-", record["old_term"].pk)
    data[f"{prefix}id"] = str(record["far_term"].pk)
    data[f"{prefix}members"] = "99"

    response = client.post(edit_url("bodies"), data)

    assert response.status_code == 200
    assert any("Select a valid choice" in text for text in summary(response))
    record["far_term"].refresh_from_db()
    assert record["far_term"].members == 0


# ---------- The workspace's links and the contacts ----------


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        ("clerk", SECTIONS[:-1]),
        ("township", SECTIONS),
        ("county", SECTIONS),
    ],
)
def test_workspace_links_to_the_record_pages_the_user_may_edit(en, users, record, role, sections):
    response = login(en, users[role]).get(WORKSPACE)

    nav = soup(response).select_one("nav.record-edit")
    links = [a["href"] for a in nav.select("a")]
    assert links == [edit_url(section) for section in sections]
    content = response.content.decode()
    assert "/admin/communities/community/" not in content
    assert "Edit in the admin" not in content
    assert f'href="{CHANGES}"' in content


def test_contacts_on_the_workspace_and_the_phone_on_the_public_profile(en, users, tree):
    home = tree["home"]
    home.office_phone, home.contact_person = "0571-6481 2345", "王主任"
    home.save()

    workspace = login(en, users["clerk"]).get(WORKSPACE)
    profile = en.get("/communities/home/")

    facts = soup(workspace).select_one("dl.facts").get_text(" ", strip=True)
    assert "Office telephone 0571-6481 2345" in facts
    assert "Contact person 王主任" in facts
    assert soup(workspace).select_one('a[href="tel:057164812345"]') is not None
    public = soup(profile).select_one("dl.facts").get_text(" ", strip=True)
    assert "Office telephone 0571-6481 2345" in public
    assert "王主任" not in profile.content.decode()


# ---------- Saving, with the user in the history ----------


def test_clerk_edits_the_contacts_with_their_name_in_the_history(en, users, tree):
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("basic"))
    data.update({"office_phone": FULL_WIDTH_PHONE, "contact_person": "李文书"})

    response = client.post(edit_url("basic"), data)

    assert (response.status_code, response["Location"]) == (302, WORKSPACE)
    assert messages_of(response) == ["Saved: Basic information and contacts."]
    home = Community.objects.get(code="home")
    assert (home.office_phone, home.contact_person) == ("0571-64812345", "李文书")
    latest = home.history.latest()
    assert (latest.history_type, latest.history_user) == ("~", users["clerk"])

    rows = tables(client.get(CHANGES))[0]["tbody"]
    assert rows[0][1:] == [
        "clerk",
        f"Community: {home.name_en} Record changed",
        "Office telephone: — → changed to 0571-64812345 Contact person: — → changed to 李文书",
    ]


def test_facilities_and_premises_saved_together(en, users, record):
    client = login(en, users["township"])
    data = page_data(client, edit_url("facilities"))
    last = Facility.history.latest("history_id").history_id
    data.update(
        {
            "premises_area_m2": "300.5",
            "facility-youth_room-present": "on",
            "facility-youth_room-area_m2": "27",
            "facility-police_room-area_m2": "16",
            "facility-police_room-note": "与警务站合用",
        }
    )

    response = client.post(edit_url("facilities"), data)

    assert response.status_code == 302
    facilities = {
        f.kind: (f.present, f.area_m2, f.note)
        for f in Facility.objects.filter(community__code="home")
    }
    assert facilities == {
        "police_room": (True, Decimal(16), "与警务站合用"),
        "youth_room": (True, Decimal(27), ""),
    }
    assert Community.objects.get(code="home").premises_area_m2 == Decimal("300.5")
    written = Facility.history.filter(history_id__gt=last)
    assert [(row.kind, row.history_type, row.history_user) for row in written] == [
        ("youth_room", "+", users["township"]),
        ("police_room", "~", users["township"]),
    ]
    assert Community.history.latest("history_id").history_user == users["township"]


def test_nothing_changed_says_so_and_writes_nothing(en, users, record):
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("facilities"))
    before = history_rows()

    response = client.post(edit_url("facilities"), data)

    assert response.status_code == 302
    assert messages_of(response) == ["Nothing was changed."]
    assert history_rows() == before


def test_new_term_after_an_election_and_the_next_number_offered(en, users, record):
    client = login(en, users["clerk"])
    response = client.get(edit_url("bodies"))
    data = form_data(response)
    # The blank row of the Party organisation offers the next number: 第8届.
    assert data["terms-party-2-number"] == "8"
    data.update(
        {
            "terms-party-2-elected_on": "2026-02-20",
            "terms-party-2-starts_on": "2026-03-01",
            "terms-party-2-ends_on": "2031-03-01",
            "terms-party-2-members": "7",
        }
    )

    response = client.post(edit_url("bodies"), data)

    assert response.status_code == 302
    term = Term.objects.get(body=record["party"], number=8)
    assert (term.starts_on, term.ends_on, term.members, term.is_sample) == (
        datetime.date(2026, 3, 1),
        datetime.date(2031, 3, 1),
        7,
        False,
    )
    assert term.history.get().history_user == users["clerk"]


def test_a_body_not_recorded_yet_is_added_by_its_name(en, users, record):
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("bodies"))
    assert data["body-deliberation-name"] == ""
    data["body-deliberation-name"] = "家园社区议事委员会"

    response = client.post(edit_url("bodies"), data)

    assert response.status_code == 302
    body = GovernanceBody.objects.get(community__code="home", kind="deliberation")
    assert (body.name, body.party_level) == ("家园社区议事委员会", "")
    # Left empty, the assembly is still not recorded.
    assert not GovernanceBody.objects.filter(community__code="home", kind="assembly").exists()


def test_township_deletes_a_term_and_the_history_says_who(en, users, record):
    client = login(en, users["township"])
    response = client.get(edit_url("bodies"))
    data = form_data(response)
    prefix = row_prefix(response, "terms-party-", record["old_term"].pk)
    data[f"{prefix}DELETE"] = "on"

    response = client.post(edit_url("bodies"), data)

    assert response.status_code == 302
    assert not Term.objects.filter(pk=record["old_term"].pk).exists()
    deleted = Term.history.get(id=record["old_term"].pk, history_type="-")
    assert deleted.history_user == users["township"]
    rows = tables(client.get(CHANGES + "?kind=term"))[0]["tbody"]
    assert rows[0][1:] == [
        "township",
        "Term: 家园社区党委, term 6 Record deleted",
        "The record was deleted.",
    ]


def test_a_clerk_has_no_delete_box_for_terms_and_a_posted_one_deletes_nothing(en, users, record):
    client = login(en, users["clerk"])
    response = client.get(edit_url("bodies"))
    data = form_data(response)
    assert not [name for name in data if name.endswith("DELETE")]
    prefix = row_prefix(response, "terms-party-", record["old_term"].pk)
    data[f"{prefix}DELETE"] = "on"

    client.post(edit_url("bodies"), data)

    assert Term.objects.filter(pk=record["old_term"].pk).exists()


def test_branches_added_and_removed_by_the_clerk(en, users, record):
    client = login(en, users["clerk"])
    response = client.get(edit_url("branches"))
    data = form_data(response)
    prefix = row_prefix(response, "branches-", record["branch"].pk)
    data[f"{prefix}DELETE"] = "on"
    data.update({"branches-1-name": "第二楼道党支部", "branches-1-members": "9"})
    data["branches-1-is_building_level"] = "on"

    response = client.post(edit_url("branches"), data)

    assert response.status_code == 302
    assert list(
        PartyBranch.objects.filter(organisation=record["party"]).values_list(
            "name", "is_building_level", "members", "is_sample"
        )
    ) == [("第二楼道党支部", True, 9, False)]


def test_branches_page_without_a_party_organisation_says_where_to_record_it(en, users, tree):
    response = login(en, users["clerk"]).get(edit_url("branches"))

    assert response.status_code == 200
    assert soup(response).select_one("main form[method=post]") is None
    assert soup(response).select_one(f'.empty a[href="{edit_url("bodies")}"]') is not None


def test_pairing_with_a_branch_of_the_community(en, users, record):
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("pairings"))
    data.update(
        {
            "pairings-1-unit": str(record["other_unit"].pk),
            "pairings-1-party_branch": str(record["branch"].pk),
            "pairings-1-started_on": "2025-05-01",
            "pairings-1-contribution": "义诊",
        }
    )

    response = client.post(edit_url("pairings"), data)

    assert response.status_code == 302
    pairing = CoBuildingPairing.objects.get(unit=record["other_unit"])
    assert (pairing.community.code, pairing.party_branch, pairing.contribution) == (
        "home",
        record["branch"],
        "义诊",
    )


def test_honours_kept_by_township_staff(en, users, record):
    client = login(en, users["township"])
    data = page_data(client, edit_url("honours"))
    data.update(
        {"honours-1-title": "市级绿色社区", "honours-1-level": "city", "honours-1-year": "2007"}
    )

    response = client.post(edit_url("honours"), data)

    assert response.status_code == 302
    assert set(Honour.objects.filter(community__code="home").values_list("title", "level")) == {
        ("县文明社区", "county"),
        ("市级绿色社区", "city"),
    }


# ---------- The sample-data flags are the county's ----------


@pytest.mark.parametrize("role", ["clerk", "township"])
def test_sample_flags_are_not_offered_to_clerks_and_township_staff(en, users, record, role):
    client = login(en, users[role])

    names = set()
    for section in ("basic", "bodies", "branches", "pairings"):
        names |= set(form_data(client.get(edit_url(section))))

    assert [name for name in names if "sample" in name] == []


def test_sample_flags_are_offered_to_the_county(en, users, record):
    client = login(en, users["county"])

    assert "figures_are_sample" in page_data(client, edit_url("basic"))
    branches = soup(client.get(edit_url("branches")))
    assert branches.select_one('input[name="branches-1-is_sample"]') is not None


@pytest.mark.parametrize("role", ["clerk", "township"])
def test_sample_flags_posted_by_others_than_the_county_are_ignored(en, users, record, role):
    """Ticked or cleared in a forged post, the flags stay as they were; the rest is saved."""
    client = login(en, users[role])
    basic = page_data(client, edit_url("basic"))
    basic["residents"] = "3100"
    basic.pop("figures_are_sample", None)  # the flag (True) cleared
    response = client.get(edit_url("bodies"))
    bodies = form_data(response)
    prefix = row_prefix(response, "terms-party-", record["term"].pk)
    bodies[f"{prefix}members"] = "8"  # its is_sample (True) not sent: cleared
    branches = page_data(client, edit_url("branches"))
    branches.update({"branches-1-name": "新楼道党支部", "branches-1-is_sample": "on"})

    for section, data in (("basic", basic), ("bodies", bodies), ("branches", branches)):
        assert client.post(edit_url(section), data).status_code == 302

    home = Community.objects.get(code="home")
    assert (home.residents, home.figures_are_sample) == (3100, True)
    record["term"].refresh_from_db()
    assert (record["term"].members, record["term"].is_sample) == (8, True)
    assert PartyBranch.objects.get(name="新楼道党支部").is_sample is False


def test_county_clears_the_sample_flags(en, users, record):
    client = login(en, users["county"])
    basic = page_data(client, edit_url("basic"))
    basic.pop("figures_are_sample")
    response = client.get(edit_url("bodies"))
    bodies = form_data(response)
    bodies.pop(f"{row_prefix(response, 'terms-party-', record['term'].pk)}is_sample")

    for section, data in (("basic", basic), ("bodies", bodies)):
        assert client.post(edit_url(section), data).status_code == 302

    assert Community.objects.get(code="home").figures_are_sample is False
    record["term"].refresh_from_db()
    assert record["term"].is_sample is False


@pytest.mark.parametrize("role", ["clerk", "township"])
def test_the_admin_keeps_the_sample_flags_from_all_but_the_county(en, users, record, role):
    client = login(en, users[role])
    url = reverse("admin:communities_term_change", args=[record["term"].pk])

    response = client.get(url)

    assert response.status_code == 200
    assert 'name="is_sample"' not in response.content.decode()
    assert "is_sample" in response.context["adminform"].readonly_fields


def test_clerk_fixed_fields_are_shown_not_offered(en, users, tree):
    response = login(en, users["clerk"]).get(edit_url("basic"))

    names = set(form_data(response))
    assert names == {
        "csrfmiddlewaretoken",
        "address",
        "office_phone",
        "contact_person",
        "households",
        "residents",
        "description",
    }
    fixed = soup(response).select_one(".record-fixed dl").get_text(" ", strip=True)
    assert (
        f"Code home Township {tree['north'].name_en} Status Active Name {tree['home'].name}"
        in fixed
    )


# ---------- Refused input: the form again, the errors at the top, nothing lost ----------


def test_a_wrong_phone_is_refused_with_the_reason_and_the_typing_kept(en, users, tree):
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("basic"))
    data.update({"office_phone": "12345", "address": "新地址"})
    before = history_rows()

    response = client.post(edit_url("basic"), data)

    assert response.status_code == 200
    assert summary(response) == [
        "Office telephone: Enter a telephone number such as 0571-64812345 or 138 1234 5678."
    ]
    assert form_data(response)["office_phone"] == "12345"
    assert form_data(response)["address"] == "新地址"
    page = soup(response)
    assert page.select_one("#error-summary a")["href"] == "#id_office_phone"
    assert history_rows() == before


def test_facility_and_term_errors_name_their_row(en, users, record):
    client = login(en, users["township"])
    facilities = page_data(client, edit_url("facilities"))
    facilities.update({"facility-youth_room-area_m2": "20", "premises_area_m2": "-1"})
    response = client.get(edit_url("bodies"))
    bodies = form_data(response)
    prefix = row_prefix(response, "terms-party-", record["term"].pk)
    bodies[f"{prefix}ends_on"] = "2020-01-01"
    bodies["body-party-name"] = ""
    before = history_rows()

    refused = [
        client.post(edit_url(s), d) for s, d in (("facilities", facilities), ("bodies", bodies))
    ]

    assert [r.status_code for r in refused] == [200, 200]
    assert summary(refused[0]) == [
        "Total premises (m²): Ensure this value is greater than or equal to 0.",
        "Youth activity room: Area (m²): Tick “present” to give the area, or leave the area empty.",
    ]
    assert summary(refused[1]) == [
        "Party organisation: Name: This field is required.",
        "家园社区党委: Row 1, Term ends: A term ends after it starts.",
    ]
    assert history_rows() == before


@pytest.mark.parametrize(
    "typed",
    [
        "0571-64812345",
        "0571 6481 2345",
        "(0571)64812345",
        "64812345",
        "138 1234 5678",
        "+86 13812345678",
        "0571-64812345转12",
        "400-123-4567",
    ],
)
def test_phone_numbers_as_offices_write_them_pass(typed):
    validate_phone_number(typed)


@pytest.mark.parametrize(
    "typed", ["12345", "1381234567", "0571--64812345", "phone", "0571-0481234"]
)
def test_other_text_is_no_phone_number(typed):
    with pytest.raises(ValidationError):
        validate_phone_number(typed)


# ---------- The change history ----------


def test_change_history_is_paged_filtered_and_newest_first(en, users, tree, settings):
    settings.PAGE_SIZE = 3
    client = login(en, users["clerk"])
    for residents in (3001, 3002, 3003, 3004):
        data = page_data(client, edit_url("basic"))
        data["residents"] = str(residents)
        client.post(edit_url("basic"), data)

    first = client.get(CHANGES)
    second = client.get(CHANGES, {"page": 2})
    only = client.get(CHANGES, {"kind": "facility"})

    # The community's creation and four changes: five, three a page.
    assert first.context["page"].paginator.count == 5
    assert [row[3] for row in tables(first)[0]["tbody"]] == [
        "Residents: 3003 → changed to 3004",
        "Residents: 3002 → changed to 3003",
        "Residents: 3001 → changed to 3002",
    ]
    assert [row[2] for row in tables(second)[0]["tbody"]][-1].endswith("Record added")
    assert only.context["page"].paginator.count == 0


def test_workspace_shows_the_latest_changes(en, users, tree):
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("basic"))
    data["office_phone"] = "0571-64812345"
    client.post(edit_url("basic"), data)

    response = client.get(WORKSPACE)

    section = soup(response).select_one("#changes")
    first = section.select_one("tbody tr").get_text(" ", strip=True)
    assert "clerk" in first and "Office telephone: — → changed to 0571-64812345" in first
    assert section.select_one(f'a[href="{CHANGES}"]') is not None


# ---------- Queries: the same for one row or many ----------


def _grow(record, tree, count):
    home, party = tree["home"], record["party"]
    for n in range(count):
        make_term(body=party, number=100 * count + n, starts_on=datetime.date(1990, 1, 1 + n))
        make_branch(organisation=party, name=f"楼道党支部{count}-{n}")
        make_pairing(unit=make_unit(), community=home, started_on=datetime.date(2009, 1, 1 + n))
        make_honour(community=home, title=f"荣誉{count}-{n}")


def _touch_every_kind(record, tree):
    """A change to a record of every kind, so that the history's first page shows them all
    (its queries are one per kind of record on the page)."""
    tree["home"].save()
    for key in ("facility", "committee", "term", "branch", "pairing", "honour"):
        record[key].save()


def _count(client, url, method="get", data=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302)
    return len(queries)


# Measured: session, user, scope (3) and the navigation; the community (1); then the page's
# own reads: the community's premises, its facilities; the bodies and each of their terms;
# the Party organisation and its branches; the branches, the units and the pairings; the
# honours; for the history, its count and page, the versions of each of the seven kinds of
# record on the page and the names they point to (townships, bodies, units).
PAGE_QUERIES = {
    "basic": 0,
    "facilities": 1,
    "bodies": 3,
    "branches": 2,
    "pairings": 3,
    "honours": 1,
    "changes": 12,
}


@pytest.mark.parametrize("page", list(PAGE_QUERIES))
def test_record_pages_cost_the_same_queries_for_few_rows_or_many(client, users, tree, record, page):
    client = login(client, users["township"])
    url = CHANGES if page == "changes" else edit_url(page)
    client.get(url)
    _grow(record, tree, 2)
    _touch_every_kind(record, tree)
    few = _count(client, url)
    _grow(record, tree, 15)
    _touch_every_kind(record, tree)
    many = _count(client, url)

    expected = 3 + NAV_QUERIES[Role.TOWNSHIP] + 1 + PAGE_QUERIES[page]
    assert (few, many) == (expected, expected), page


@pytest.mark.parametrize("section", ["bodies", "branches", "pairings", "honours"])
def test_saving_one_row_costs_the_same_however_many_rows(client, users, tree, record, section):
    client = login(client, users["county"])

    def one_change(n):
        data = page_data(client, edit_url(section))
        data.update(_one_change(section, data, n))
        return _count(client, edit_url(section), "post", data)

    _grow(record, tree, 2)
    few = one_change(2)
    _grow(record, tree, 15)
    many = one_change(15)

    assert few == many


def test_the_public_profile_shows_an_edit_at_once(en, users, tree):
    """The public profile is kept in the cache; a save in the portal drops it."""
    visitor = en.get("/communities/home/")
    assert "0571-64812345" not in visitor.content.decode()
    client = login(en, users["clerk"])
    data = page_data(client, edit_url("basic"))
    data["office_phone"] = "0571-64812345"
    client.post(edit_url("basic"), data)
    client.logout()

    profile = en.get("/communities/home/")

    assert "0571-64812345" in profile.content.decode()
