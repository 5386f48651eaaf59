"""Helpers of the fault and concurrency tests: a database without a transaction around the
test, a write that fails at a chosen point, a read that is slowed down, two calls raced in two
threads, the row count of every table, a rating round and an Excel import ready to confirm."""

import contextlib
import datetime
import io
import threading
import time
from decimal import Decimal

import openpyxl
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from chunan_community.months import add_months, month_start
from communities.models import ReturnImport, Role
from ratings.models import CutOff, RoundStatus, Score, ScoreSheet
from tests.factories import make_user
from tests.ratings.factories import make_assignment, make_criterion, make_declaration, make_round

# Last month: open for entry, and the default month of the Excel template.
PERIOD = add_months(month_start(timezone.localdate()), -1)
MONTH = f"{PERIOD:%Y-%m}"
NOTICE_ENDS = datetime.date(2026, 2, 7)
AFTER_NOTICE = datetime.date(2026, 2, 8)


def _table_rows(tables) -> dict[str, int]:
    quote = connection.ops.quote_name
    # One statement for all tables; the names come from Django's own introspection.
    counts = ", ".join(f"(SELECT count(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


@contextlib.contextmanager
def committed(django_db_blocker):
    """Database access with no transaction around the test, so that other connections (the
    threads of a race, a second connection, the WSGI handler's close_old_connections) see
    what the test writes; afterwards every row the test wrote is deleted.

    pytest-django's `transaction=True` does the same with a TRUNCATE of all the portal's
    tables followed by post_migrate: 3 to 5 seconds per test on PostgreSQL, where deleting
    the few rows written takes milliseconds. Only tables that were empty are emptied (all
    but content types and permissions, which migrate fills); a test that changes the number
    of rows of another table fails.
    """
    with django_db_blocker.unblock():
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        before = _table_rows(tables)
        try:
            yield
        finally:
            after = _table_rows(tables)
            # Foreign keys are checked at commit (Django makes them DEFERRABLE INITIALLY
            # DEFERRED): the tables can be emptied in any order.
            with transaction.atomic(), connection.cursor() as cursor:
                for table in tables:
                    if after[table] and not before[table]:
                        cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
            changed = [t for t in tables if before[t] and after[t] != before[t]]
            assert changed == [], f"rows added to {changed}: not cleaned up"


@contextlib.contextmanager
def failing_write(model, *, after: int = 0, verb: str = "INSERT"):
    """The database refuses the (after + 1)-th INSERT (or UPDATE) into `model`'s table on
    this thread's connection, as a full disk or a dropped connection would, and every later
    one; the statements before it run as usual."""
    table = connection.ops.quote_name(model._meta.db_table)
    statement = f"INSERT INTO {table} " if verb == "INSERT" else f"UPDATE {table} "
    seen = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal seen
        if sql.startswith(statement):
            seen += 1
            if seen > after:
                raise OperationalError("could not write block: No space left on device")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@contextlib.contextmanager
def slow_read(model, seconds: float = 0.3):
    """The first SELECT from `model`'s table on this thread's connection takes `seconds`
    longer, after the database answered: the window between reading a row and writing it
    back, where a missing lock lets a second person in, is wide open."""
    table = connection.ops.quote_name(model._meta.db_table)
    slowed = False

    def wrapper(execute, sql, params, many, context):
        nonlocal slowed
        result = execute(sql, params, many, context)
        if not slowed and sql.startswith("SELECT") and f" FROM {table}" in sql:
            slowed = True
            time.sleep(seconds)
        return result

    with connection.execute_wrapper(wrapper):
        yield


def race(*calls, slow=None) -> list:
    """Run the calls at the same moment, each in its own thread on its own connection, the
    first read of `slow` (a model) slowed down in each; returns what each call returned or
    raised. The connections are closed when their thread ends."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()
            with slow_read(slow) if slow else contextlib.nullcontext():
                barrier.wait(timeout=10)
                outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a call never finished"
    return outcomes


def row_counts() -> dict[str, int]:
    """The number of rows of every table the portal owns, history tables included."""
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def round_to_confirm(tree) -> dict:
    """A round whose public notice has ended: `home` and `neighbour` declared the normative
    tier and reach it (15 and 12 points, cut-off 10), each scored by one judge."""
    round_ = make_round(
        code="r-faults",
        status=RoundStatus.NOTICE,
        review_meeting_on=datetime.date(2026, 1, 20),
        notice_starts_on=datetime.date(2026, 2, 1),
        notice_ends_on=NOTICE_ENDS,
    )
    criterion = make_criterion(round=round_, max_points=20)
    CutOff.objects.create(round=round_, tier=criterion.tier, min_score=10)
    judge = make_user(Role.JUDGE)
    make_assignment(round=round_, judge=judge)
    for community, points in ((tree["home"], 15), (tree["neighbour"], 12)):
        sheet = ScoreSheet.objects.create(
            judge=judge, declaration=make_declaration(round=round_, community=community)
        )
        Score.objects.create(sheet=sheet, criterion=criterion, points=Decimal(points))
    return {"round": round_, "judge": judge}


def checked_import(client) -> ReturnImport:
    """A workbook with a household figure for each community the client's user keeps, made
    from the portal's template, uploaded and checked: ready to be confirmed (indicators
    "households" and "residents" must exist)."""
    template = client.get(reverse("returns:template"), {"month": MONTH})
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = workbook["returns"]
    column = [cell.value for cell in sheet[1]].index("households") + 1
    for row in range(3, sheet.max_row + 1):
        sheet.cell(row, column, 10 * row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("returns.xlsx", buffer.getvalue())
    response = client.post(reverse("returns:import"), {"file": upload})
    assert response.status_code == 302
    checked = ReturnImport.objects.get()
    assert checked.status == ReturnImport.Status.PREVIEWED
    return checked
