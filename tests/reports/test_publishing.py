"""Publishing a report: a frozen snapshot, corrections as versions, the public statistics page
and the home page; who may build and publish what."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from chunan_community.documents import Document
from communities.models import MonthlyReturn, ReturnStatus
from reports import publishing
from reports.models import Kind, Publication
from tests.factories import make_community, make_return, make_township

# A day when 2026 Q3 is closed (September's returns were due on 10 October).
TODAY = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)
Q3 = {"first_month": datetime.date(2026, 7, 1), "last_month": datetime.date(2026, 9, 1)}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def q3_returns(tree):
    """home: every month of Q3 on time; neighbour: July and August, September still a draft;
    far: nothing."""
    for month in (7, 8, 9):
        make_return(
            community=tree["home"],
            period=datetime.date(2026, month, 1),
            status=ReturnStatus.ACCEPTED,
        )
    for month in (7, 8):
        make_return(
            community=tree["neighbour"],
            period=datetime.date(2026, month, 1),
            status=ReturnStatus.APPROVED,
        )
    return make_return(
        community=tree["neighbour"], period=datetime.date(2026, 9, 1), status=ReturnStatus.DRAFT
    )


def publish_q3(user, **kwargs):
    options = {
        "number": "淳民〔2026〕30号",
        "published_on": datetime.date(2026, 11, 20),
        "note": "",
        "user": user,
        "today": datetime.date(2026, 11, 20),
        "township": None,
    }
    options.update(kwargs)
    return publishing.publish(Kind.CIRCULAR, **Q3, **options)


def ranking(document: Document) -> dict:
    for section in document.sections:
        for table in section.tables:
            if table.rows and len(table.columns) >= 8:
                return {row[1]: row for row in table.rows}
    raise AssertionError("no ranking table")


def test_a_published_report_does_not_change_when_the_data_does(client, users, tree, q3_returns):
    publication = publish_q3(users["county"])
    before = ranking(publication.as_document)
    north = tree["north"].name
    assert before[north][4] == 5  # reported of the 6 owed in north (home 3, neighbour 2)

    # The late draft is submitted after publication: the live report changes, the published
    # one does not.
    MonthlyReturn.objects.filter(pk=q3_returns.pk).update(status=ReturnStatus.SUBMITTED)
    live = publishing.build(Kind.CIRCULAR, **Q3, township=None, today=datetime.date(2026, 11, 20))
    assert ranking(live)[north][4] == 6
    publication.refresh_from_db()
    assert ranking(publication.as_document)[north][4] == 5

    page = client.get(publication.get_absolute_url())
    assert page.status_code == 200
    assert ranking(page.context["document"])[north][4] == 5
    assert "淳民〔2026〕30号" in page.text


def test_the_snapshot_keeps_every_figure_and_type(users, tree, q3_returns):
    publication = publish_q3(users["county"])
    document = publication.as_document
    assert document.to_data() == publication.document
    assert document.number == "淳民〔2026〕30号"
    assert document.date == datetime.date(2026, 11, 20)
    assert publication.title == document.title
    assert publication.version == 1 and publication.replaces is None


def test_a_correction_needs_a_note_and_becomes_the_new_version(client, users, tree, q3_returns):
    first = publish_q3(users["county"])
    with pytest.raises(publishing.Refused):
        publish_q3(users["county"])
    second = publish_q3(users["county"], note="九月份数据更正")
    assert (second.version, second.replaces) == (2, first)
    assert any("九月份数据更正" in note for note in second.as_document.notes)

    listing = client.get(reverse("reports:publications"))
    assert [p.pk for p in listing.context["page"].object_list] == [second.pk]

    old = client.get(first.get_absolute_url())
    assert old.status_code == 200
    assert 'id="publication-superseded"' in old.text
    assert second.get_absolute_url() in old.text
    new = client.get(second.get_absolute_url())
    assert "九月份数据更正" in new.text
    assert 'id="publication-superseded"' not in new.text


def test_a_scheduled_report_is_for_county_staff_only_until_its_day(client, users, tree):
    later = publish_q3(users["county"], published_on=datetime.date(2026, 12, 1))
    assert client.get(later.get_absolute_url()).status_code == 404
    assert client.get(reverse("reports:publication_docx", args=[later.pk])).status_code == 404
    assert list(client.get(reverse("reports:publications")).context["page"].object_list) == []
    client.force_login(users["township"])
    assert client.get(later.get_absolute_url()).status_code == 404
    client.force_login(users["county"])
    preview = client.get(later.get_absolute_url())
    assert preview.status_code == 200
    assert 'id="publication-scheduled"' in preview.text
    with time_machine.travel(datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)):
        client.logout()
        assert client.get(later.get_absolute_url()).status_code == 200


def test_a_scheduled_correction_leaves_the_current_version_up(client, users, tree):
    first = publish_q3(users["county"])
    publish_q3(users["county"], published_on=datetime.date(2026, 12, 1), note="更正")
    listing = client.get(reverse("reports:publications"))
    assert [p.pk for p in listing.context["page"].object_list] == [first.pk]


def test_the_home_page_announces_the_newest_reports(client, users, tree, q3_returns):
    publication = publish_q3(users["county"])
    home = client.get(reverse("portal:home"))
    assert 'id="home-reports"' in home.text
    assert publication.get_absolute_url() in home.text
    listing = client.get(reverse("reports:publications"))
    assert publication.get_absolute_url() in listing.text


def test_the_published_files(client, users, tree, q3_returns):
    publication = publish_q3(users["county"])
    xlsx = client.get(reverse("reports:publication_xlsx", args=[publication.pk]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(__import__("io").BytesIO(xlsx.content))
    values = [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row]
    assert 5 in values  # north's returns reported, as a number
    docx = client.get(reverse("reports:publication_docx", args=[publication.pk]))
    assert docx.status_code == 200
    assert docx.content[:2] == b"PK"
    assert ".docx" in docx["Content-Disposition"]


# ---------------------------------------------------------------------------- who may


STAFF_PAGES = [
    ("reports:manage", {}),
    ("reports:report", {"kind": "circular"}),
    ("reports:report", {"kind": "yearly"}),
    ("reports:report", {"kind": "bulletin"}),
    ("reports:report_print", {"kind": "circular"}),
    ("reports:report_xlsx", {"kind": "circular"}),
    ("reports:report_docx", {"kind": "circular"}),
]
# role → {(url name, kind): status}; anything not listed: 200.
REFUSED = {
    "no_role": 403,
    "judge": 403,
    "clerk": 403,
    "other_clerk": 403,
}


@pytest.mark.parametrize("role", ["no_role", "judge", "clerk", "township", "county"])
@pytest.mark.parametrize(("name", "kwargs"), STAFF_PAGES)
def test_who_may_build_reports(client, users, tree, role, name, kwargs):
    client.force_login(users[role])
    expected = REFUSED.get(role, 200)
    if role == "township" and kwargs.get("kind") == "bulletin":
        expected = 403
    assert client.get(reverse(name, kwargs=kwargs)).status_code == expected


def test_anonymous_staff_pages_ask_to_log_in(client, tree):
    for name, kwargs in STAFF_PAGES:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_township_staff_get_their_own_townships_yearly_report(client, users, tree):
    client.force_login(users["township"])
    page = client.get(
        reverse("reports:report", kwargs={"kind": "yearly"}),
        {"township": tree["south"].code, "year": "2025"},
    )
    assert page.status_code == 200
    assert page.context["form"].cleaned_data["township"] == tree["north"]


@pytest.mark.parametrize("role", ["township", "clerk", "judge", "no_role"])
def test_only_county_staff_publish(client, users, tree, role):
    client.force_login(users[role])
    response = client.post(
        reverse("reports:report_publish", kwargs={"kind": "circular"}),
        {"period": "2026-Q3", "published_on": "2026-11-20"},
    )
    assert response.status_code == 403
    assert not Publication.objects.exists()


def test_publishing_through_the_page(client, users, tree, q3_returns):
    client.force_login(users["county"])
    page = client.get(reverse("reports:report", kwargs={"kind": "circular"}), {"period": "2026-Q3"})
    assert 'id="publish"' in page.text
    response = client.post(
        reverse("reports:report_publish", kwargs={"kind": "circular"}),
        {"period": "2026-Q3", "published_on": "2026-11-20", "number": "淳民〔2026〕30号"},
    )
    publication = Publication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == publication.get_absolute_url()
    assert (publication.first_month, publication.last_month) == (
        Q3["first_month"],
        Q3["last_month"],
    )
    assert publication.published_by == users["county"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"period": "2026-Q3", "published_on": "2026-11-19"}, "published_on"),
        ({"period": "2026-Q3", "published_on": "not a day"}, "published_on"),
        ({"period": "2031-Q1", "published_on": "2026-11-20"}, "period"),
        ({"period": "2026-Q3", "published_on": "2026-11-20", "number": "x" * 61}, "number"),
    ],
)
def test_bad_publishing_input_is_refused_with_a_message(client, users, tree, data, field):
    client.force_login(users["county"])
    response = client.post(reverse("reports:report_publish", kwargs={"kind": "circular"}), data)
    assert response.status_code == 400
    assert not Publication.objects.exists()
    forms = [response.context["form"], response.context.get("publish_form")]
    assert any(form is not None and field in form.errors for form in forms)


def test_a_second_publication_without_a_note_is_refused_on_the_page(client, users, tree):
    publish_q3(users["county"])
    client.force_login(users["county"])
    response = client.post(
        reverse("reports:report_publish", kwargs={"kind": "circular"}),
        {"period": "2026-Q3", "published_on": "2026-11-20"},
    )
    assert response.status_code == 409
    assert 'id="publish-refusal"' in response.text
    assert Publication.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "query"),
    [
        ("yearly", {"year": "1900"}),
        ("yearly", {"township": "nowhere"}),
        ("circular", {"period": "2026-13"}),
        ("bulletin", {"year": "x"}),
    ],
)
def test_bad_report_choices_are_a_400_with_the_form(client, users, tree, kind, query):
    client.force_login(users["county"])
    page = client.get(reverse("reports:report", kwargs={"kind": kind}), query)
    assert page.status_code == 400
    assert page.context["form"].errors
    download = client.get(reverse("reports:report_xlsx", kwargs={"kind": kind}), query)
    assert download.status_code == 400


def test_an_unknown_kind_is_not_found(client, users, tree):
    client.force_login(users["county"])
    assert client.get(reverse("reports:report", kwargs={"kind": "gazette"})).status_code == 404


def test_the_public_list_filters_by_kind_and_year(client, users, tree):
    publish_q3(users["county"])
    listing = client.get(reverse("reports:publications"), {"kind": "yearly"})
    assert list(listing.context["page"].object_list) == []
    listing = client.get(reverse("reports:publications"), {"kind": "circular", "year": "2026"})
    assert len(listing.context["page"].object_list) == 1
    assert client.get(reverse("reports:publications"), {"kind": "gazette"}).status_code == 400


# ---------------------------------------------------------------------------- queries


@pytest.mark.parametrize("size", [1, 4])
def test_public_pages_query_counts_do_not_grow(
    client, users, tree, django_assert_num_queries, size
):
    township = make_township()
    for _n in range(size):
        make_community(township=township)
    for n in range(size):
        publishing.publish(
            Kind.CIRCULAR,
            first_month=datetime.date(2026, 9 - n, 1),
            last_month=datetime.date(2026, 9 - n, 1),
            township=None,
            number="",
            published_on=datetime.date(2026, 11, 20),
            note="",
            user=users["county"],
            today=datetime.date(2026, 11, 20),
        )
    publication = Publication.objects.first()
    # The list: the years of the filter, the count, the page.
    with django_assert_num_queries(3):
        assert client.get(reverse("reports:publications")).status_code == 200
    # A report: the publication, its versions.
    with django_assert_num_queries(2):
        assert client.get(publication.get_absolute_url()).status_code == 200
