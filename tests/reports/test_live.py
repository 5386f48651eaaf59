"""A live report is built once and kept while the records it reads are unchanged: its print
view, workbook and Word file cost no new build; any saved change builds it again."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from communities.models import ReturnStatus
from reports import live, publishing
from reports.models import Kind
from tests.factories import make_return

TODAY = datetime.date(2026, 11, 20)
Q3 = {"first_month": datetime.date(2026, 7, 1), "last_month": datetime.date(2026, 9, 1)}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC)):
        yield


def counting_builds(monkeypatch):
    calls, original = [], publishing.build

    def build(kind, **kwargs):
        calls.append(kind)
        return original(kind, **kwargs)

    return calls, build


def reported(document) -> int:
    """The county's returns reported, from the circular's ranking table's total row."""
    for section in document.sections:
        for table in section.tables:
            if table.strong:
                return table.rows[table.strong[0]][4]
    raise AssertionError("no total row")


def test_a_report_is_built_once_while_nothing_changes(db, tree, monkeypatch):
    calls, build = counting_builds(monkeypatch)
    make_return(community=tree["home"], period=datetime.date(2026, 7, 1), status="accepted")
    first = live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    again = live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    assert calls == [Kind.CIRCULAR]
    assert again == first


def test_a_saved_change_builds_it_again(db, tree, monkeypatch):
    calls, build = counting_builds(monkeypatch)
    draft = make_return(community=tree["home"], period=datetime.date(2026, 7, 1), status="draft")
    before = live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    draft.status = ReturnStatus.SUBMITTED
    draft.save()
    after = live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    assert calls == [Kind.CIRCULAR, Kind.CIRCULAR]
    assert reported(after) == reported(before) + 1


def test_each_language_and_day_is_kept_apart(db, tree, monkeypatch):
    calls, build = counting_builds(monkeypatch)
    chinese = live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    with translation.override("en"):
        english = live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    later = live.live_document(
        build, Kind.CIRCULAR, **Q3, township=None, today=TODAY + datetime.timedelta(days=1)
    )
    assert len(calls) == 3
    assert (chinese.issuer, english.issuer) == (
        "淳安县民政局",
        "Chun'an County Civil Affairs Bureau",
    )
    assert later.date == TODAY + datetime.timedelta(days=1)


def test_the_print_view_and_files_reuse_the_page_s_build(client, users, tree, monkeypatch):
    calls, build = counting_builds(monkeypatch)
    monkeypatch.setattr(publishing, "build", build)
    client.force_login(users["county"])
    query = {"period": "2026-Q3"}
    for name in (
        "reports:report",
        "reports:report_print",
        "reports:report_xlsx",
        "reports:report_docx",
    ):
        assert client.get(reverse(name, kwargs={"kind": "circular"}), query).status_code == 200
    assert calls == [Kind.CIRCULAR]


def test_publishing_builds_from_the_records_not_the_cache(db, users, tree, monkeypatch):
    calls, build = counting_builds(monkeypatch)
    live.live_document(build, Kind.CIRCULAR, **Q3, township=None, today=TODAY)
    monkeypatch.setattr(publishing, "build", build)
    publishing.publish(
        Kind.CIRCULAR,
        **Q3,
        township=None,
        number="",
        published_on=TODAY,
        note="",
        user=users["county"],
        today=TODAY,
    )
    assert calls == [Kind.CIRCULAR, Kind.CIRCULAR]
