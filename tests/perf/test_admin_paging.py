"""Admin changelists of big tables count their rows once, and on PostgreSQL an unfiltered
big table is counted from the planner's estimate (chunan_community.admin_paging)."""

import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chunan_community import admin_paging
from chunan_community.admin_paging import EstimatedCountPaginator, estimated_rows
from communities.models import MonthlyReturn, ReturnEvent, Role
from ratings.models import Rating
from services.models import AssistanceVisit, ServiceRecord, TimeBankEntry, Volunteer
from tests.factories import make_community, make_return, make_user

pytestmark = pytest.mark.django_db

BIG_TABLES = (
    MonthlyReturn,
    ReturnEvent,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
    AssistanceVisit,
    Rating,
)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_class.reltuples is PostgreSQL's"
)


def _returns(count):
    community = make_community()
    for month in range(1, count + 1):
        make_return(community=community, period=datetime.date(2025, month, 1))


def _analyse():
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {MonthlyReturn._meta.db_table}")


@pytest.mark.parametrize("model", BIG_TABLES, ids=lambda model: model.__name__)
def test_big_changelists_use_the_estimating_paginator(model):
    model_admin = admin.site._registry[model]

    assert (model_admin.paginator, model_admin.show_full_result_count) == (
        EstimatedCountPaginator,
        False,
    )


def test_the_returns_changelist_counts_its_rows_once(client):
    _returns(3)
    client.force_login(make_user(Role.COUNTY))

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/communities/monthlyreturn/")

    counts = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
    assert (response.status_code, len(counts)) == (200, 1)
    assert response.context["cl"].result_count == 3


def test_a_small_table_is_counted_exactly():
    _returns(4)

    assert EstimatedCountPaginator(MonthlyReturn.objects.all(), 100).count == 4


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite has no estimate")
def test_sqlite_has_no_estimate():
    _returns(2)

    assert estimated_rows(MonthlyReturn.objects.all()) is None


@postgresql_only
def test_a_big_unfiltered_table_is_counted_from_the_estimate(monkeypatch):
    monkeypatch.setattr(admin_paging, "ESTIMATE_ABOVE", 3)
    _returns(5)
    _analyse()
    make_return(community=make_community(), period=datetime.date(2025, 1, 1))

    with CaptureQueriesContext(connection) as captured:
        count = EstimatedCountPaginator(MonthlyReturn.objects.all(), 100).count

    # As analysed (5), not as it is now (6): the estimate, in one query.
    assert (count, len(captured.captured_queries)) == (5, 1)


@postgresql_only
def test_a_filtered_list_is_counted_exactly(monkeypatch):
    monkeypatch.setattr(admin_paging, "ESTIMATE_ABOVE", 3)
    _returns(5)
    _analyse()
    make_return(community=make_community(), period=datetime.date(2025, 1, 1))

    filtered = MonthlyReturn.objects.filter(period=datetime.date(2025, 1, 1))

    assert EstimatedCountPaginator(filtered, 100).count == 2


@postgresql_only
def test_a_small_unfiltered_table_is_counted_exactly_in_the_same_one_query():
    _returns(4)
    _analyse()

    with CaptureQueriesContext(connection) as captured:
        count = EstimatedCountPaginator(MonthlyReturn.objects.all(), 100).count

    assert (count, len(captured.captured_queries)) == (4, 1)
