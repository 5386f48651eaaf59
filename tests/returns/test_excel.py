"""Monthly returns through Excel: the template, the upload checks, the preview, the import."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.xml
import pytest
from defusedxml import DefusedXmlException
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from chunan_community.errors import Refused
from chunan_community.months import add_months, month_start
from communities.access import access_for
from communities.models import (
    IndicatorRule,
    MonthlyReturn,
    ReturnEvent,
    ReturnImport,
    ReturnStatus,
    ReturnValue,
)
from communities.returns import domain
from communities.returns.excel import template_workbook
from communities.returns.imports import check_rows, read_sheet
from tests.factories import make_community, make_indicator, make_rule, make_volunteer

# The moment this module's dates are built for: each test keeps it, should the run cross
# midnight or a month's end (`.ci/run` moves the clock of a run to such days).
NOW = timezone.localtime()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

TODAY = NOW.date()
PERIOD = add_months(month_start(TODAY), -1)  # the template's default month, open for entry
MONTH = f"{PERIOD:%Y-%m}"
FIXED = ["community_code", "community_name", "month", "version", "status"]
CODES = ["households", "residents", "received", "resolved", "funds"]
TEMPLATE_URL = reverse("returns:template")
IMPORT_URL = reverse("returns:import")


@pytest.fixture
def indicators(db):
    made = {
        "households": make_indicator(
            code="households", name="户数", name_en="Households", unit="户"
        ),
        "residents": make_indicator(code="residents", name="居民人数", name_en="Residents"),
        "received": make_indicator(
            code="received", name="受理诉求", name_en="Requests received", unit="件"
        ),
        "resolved": make_indicator(
            code="resolved", name="办结诉求", name_en="Requests resolved", unit="件"
        ),
        "funds": make_indicator(
            code="funds",
            name="共建资金",
            name_en="Co-building funds",
            unit="元",
            value_type="decimal",
            maximum=Decimal(1000000),
            required=False,
        ),
    }
    make_rule(made["resolved"], IndicatorRule.Operator.LTE, made["received"])
    return made


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def as_user(client, user):
    client.force_login(user)
    return client


def download(client, month=MONTH):
    response = client.get(TEMPLATE_URL, {"month": month})
    assert response.status_code == 200
    return response.content


def sheet_rows(data, sheet="returns"):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def fill(data, cells):
    """Set cells of the returns sheet: {(row number, column code): value}."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["returns"]
    header = [cell.value for cell in sheet[1]]
    for (row, code), value in cells.items():
        sheet.cell(row, header.index(code) + 1, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_bytes(rows, sheet_title="returns"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data, name="returns.xlsx"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


def upload_ok(client, data):
    response = upload(client, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ReturnImport.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def stored(community):
    return {
        value.indicator.code: value.value
        for value in ReturnValue.objects.filter(
            monthly_return__community=community, monthly_return__period=PERIOD
        ).select_related("indicator")
    }


def save(user, community, indicators, *, version=0, **values):
    return domain.return_save(
        community=community,
        period=PERIOD,
        values={indicators[code].pk: Decimal(v) for code, v in values.items()},
        version=version,
        by=user,
    )


def upload_errors(response):
    return [str(error) for error in response.context["form"].errors["file"]]


def error_lines(client, return_import):
    """The errors as the preview page lists them."""
    page = client.get(reverse("returns:import_preview", args=[return_import.pk]))
    return page.context["errors"]


# ---------- The template ----------


def test_template_for_clerk_has_their_community_and_two_sheets(en, tree, users, indicators):
    data = download(as_user(en, users["clerk"]))

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["returns", "indicators"]
    rows = sheet_rows(data)
    assert rows[0] == FIXED + CODES + [f"{code}:comment" for code in CODES]
    assert rows[1] == [
        "Community code",
        "Community name",
        "Month (YYYY-MM)",
        "Version (do not change)",
        "Status (for information)",
        "Households（户）",
        "Residents（人）",
        "Requests received（件）",
        "Requests resolved（件）",
        "Co-building funds（元）",
        "Comment: Households",
        "Comment: Residents",
        "Comment: Requests received",
        "Comment: Requests resolved",
        "Comment: Co-building funds",
    ]
    assert rows[2:] == [["home", tree["home"].name_en, MONTH, 0, None] + [None] * 10]
    assert workbook["returns"].freeze_panes == "F3"


def test_template_describes_and_validates_each_indicator(en, tree, users, indicators):
    data = download(as_user(en, users["clerk"]))

    about = sheet_rows(data, "indicators")
    assert about[0] == [
        "Code",
        "Name",
        "Name in English",
        "Unit",
        "Type",
        "Minimum",
        "Maximum",
        "Required",
        "Group",
        "Help",
    ]
    assert about[1][:8] == [
        "households",
        "户数",
        "Households",
        "户",
        "Whole number",
        0,
        None,
        "Yes",
    ]
    assert about[5][:8] == [
        "funds",
        "共建资金",
        "Co-building funds",
        "元",
        "Decimal number",
        0,
        1000000,
        "No",
    ]
    validations = openpyxl.load_workbook(io.BytesIO(data))["returns"].data_validations
    assert sorted(
        (str(v.sqref), v.type, v.formula1, v.formula2) for v in validations.dataValidation
    ) == [
        ("F3", "whole", "0", "999999999999"),
        ("G3", "whole", "0", "999999999999"),
        ("H3", "whole", "0", "999999999999"),
        ("I3", "whole", "0", "999999999999"),
        ("J3", "decimal", "0.00", "1000000.00"),
    ]


def test_template_is_prefilled_with_saved_values(en, tree, users, indicators):
    save(users["clerk"], tree["home"], indicators, households=100, residents=300, funds="12.5")

    rows = sheet_rows(download(as_user(en, users["clerk"])))

    assert rows[2] == [
        *["home", tree["home"].name_en, MONTH, 1, "Draft", 100, 300, None, None, 12.5],
        *[None] * 5,
    ]


@pytest.mark.parametrize(
    ("role", "codes"),
    [("township", ["home", "neighbour"]), ("county", ["home", "neighbour", "far"])],
)
def test_template_covers_the_users_area(en, tree, users, indicators, role, codes):
    rows = sheet_rows(download(as_user(en, users[role])))

    assert [row[0] for row in rows[2:]] == codes


def test_template_defaults_to_last_month(en, tree, users, indicators):
    response = as_user(en, users["clerk"]).get(TEMPLATE_URL)

    assert sheet_rows(response.content)[2][2] == MONTH
    assert response["Content-Disposition"] == f'attachment; filename="returns-{MONTH}.xlsx"'


@pytest.mark.parametrize("month", ["2026-13", "last month", f"{add_months(PERIOD, 2):%Y-%m}"])
def test_template_for_a_bad_month_is_400(en, tree, users, indicators, month):
    response = as_user(en, users["clerk"]).get(TEMPLATE_URL, {"month": month})

    assert response.status_code == 400
    assert response.templates[0].name == "returns/io_invalid.html"


# ---------- The round trip ----------


def test_round_trip_stores_values_events_and_history(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    data = fill(
        download(client),
        {(3, "households"): 120, (3, "residents"): 360, (3, "received"): 9, (3, "funds"): 1500.5},
    )

    checked = upload_ok(client, data)
    preview = client.get(reverse("returns:import_preview", args=[checked.pk]))
    confirmed = client.post(reverse("returns:import_preview", args=[checked.pk]), follow=True)

    assert preview.status_code == 200
    assert checked.status == ReturnImport.Status.PREVIEWED
    assert checked.errors == []
    assert [row["cells"] for row in preview.context["rows"]] == [
        ["120", "360", "9", None, "1500.5"]
    ]
    assert [m.message for m in confirmed.context["messages"]] == ["1 return imported."]
    assert stored(tree["home"]) == {
        "households": Decimal(120),
        "residents": Decimal(360),
        "received": Decimal(9),
        "funds": Decimal("1500.50"),
    }
    monthly_return = MonthlyReturn.objects.get(community=tree["home"], period=PERIOD)
    assert (monthly_return.status, monthly_return.version) == (ReturnStatus.DRAFT, 1)
    assert list(monthly_return.events.values_list("action", "by__username")) == [
        (ReturnEvent.Action.IMPORTED, "clerk")
    ]
    assert sorted(
        ReturnValue.history.filter(monthly_return_id=monthly_return.pk).values_list(
            "indicator__code", "value", "history_user__username", "history_type"
        )
    ) == [
        ("funds", Decimal("1500.50"), "clerk", "+"),
        ("households", Decimal(120), "clerk", "+"),
        ("received", Decimal(9), "clerk", "+"),
        ("residents", Decimal(360), "clerk", "+"),
    ]
    checked.refresh_from_db()
    assert checked.status == ReturnImport.Status.APPLIED


def test_round_trip_corrects_saved_values_and_keeps_comments(en, tree, users, indicators):
    saved = domain.return_save(
        community=tree["home"],
        period=PERIOD,
        values={indicators["households"].pk: Decimal(100), indicators["residents"].pk: Decimal(9)},
        comments={indicators["residents"].pk: "新小区入住"},
        version=0,
        by=users["clerk"],
    )
    client = as_user(en, users["clerk"])

    checked = upload_ok(client, fill(download(client), {(3, "households"): 101}))
    client.post(reverse("returns:import_preview", args=[checked.pk]))

    saved.refresh_from_db()
    assert saved.version == 2
    assert stored(tree["home"]) == {"households": Decimal(101), "residents": Decimal(9)}
    assert ReturnValue.objects.get(
        monthly_return=saved, indicator=indicators["residents"]
    ).comment == ("新小区入住")
    assert list(
        ReturnValue.history.filter(monthly_return_id=saved.pk, indicator__code="households")
        .order_by("history_id")
        .values_list("value", flat=True)
    ) == [Decimal(100), Decimal(101)]
    assert list(saved.events.values_list("action", flat=True)) == [
        ReturnEvent.Action.SAVED,
        ReturnEvent.Action.IMPORTED,
    ]


def test_unchanged_rows_are_left_alone(en, tree, users, indicators):
    client = as_user(en, users["county"])
    data = fill(download(client), {(3, "households"): 50})

    checked = upload_ok(client, data)
    response = client.post(reverse("returns:import_preview", args=[checked.pk]), follow=True)

    assert [row["unchanged"] for row in checked.rows] == [False, True, True]
    assert [m.message for m in response.context["messages"]] == ["1 return imported."]
    assert MonthlyReturn.objects.count() == 1


def test_title_row_above_the_header_is_skipped(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    workbook = openpyxl.load_workbook(io.BytesIO(fill(download(client), {(3, "households"): 42})))
    workbook["returns"].insert_rows(1, amount=2)
    workbook["returns"]["A1"] = "西园社区 2026年月报"
    buffer = io.BytesIO()
    workbook.save(buffer)

    checked = upload_ok(client, buffer.getvalue())

    assert checked.errors == []
    assert [
        (row["row"], row["values"][str(indicators["households"].pk)]) for row in checked.rows
    ] == [(5, "42")]


def test_month_typed_as_an_excel_date_is_understood(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    data = fill(
        download(client),
        {(3, "month"): datetime.datetime(PERIOD.year, PERIOD.month, 1), (3, "households"): 7},
    )

    checked = upload_ok(client, data)

    assert (checked.errors, checked.rows[0]["period"]) == ([], MONTH)


# ---------- All or nothing ----------


def test_one_bad_row_rejects_the_whole_workbook(en, tree, users, indicators):
    client = as_user(en, users["county"])
    data = fill(
        download(client),
        {
            (3, "households"): 10,
            (4, "households"): -1,
            (4, "received"): 3,
            (4, "resolved"): 4,
            (5, "funds"): "12.345",
        },
    )

    checked = upload_ok(client, data)
    page = client.get(reverse("returns:import_preview", args=[checked.pk]))
    confirm = client.post(reverse("returns:import_preview", args=[checked.pk]), follow=True)

    assert checked.status == ReturnImport.Status.REJECTED
    assert error_lines(client, checked) == [
        "Row 4, column F (Households): Ensure this value is greater than or equal to 0.",
        "Row 4, column I (Requests resolved): Requests resolved must be ≤ Requests received "
        "(3). Check both figures.",
        "Row 5, column J (Co-building funds): Ensure that there are no more than 2 decimal places.",
    ]
    assert "Confirm the import" not in page.content.decode()
    assert [m.message for m in confirm.context["messages"]] == [
        "This import cannot be confirmed: Has errors."
    ]
    assert MonthlyReturn.objects.count() == 0


def test_stale_version_on_confirm_saves_nothing(en, tree, users, indicators):
    county = as_user(en, users["county"])
    data = fill(
        download(county),
        {(3, "households"): 10, (4, "households"): 20, (5, "households"): 30},
    )
    checked = upload_ok(county, data)
    # Meanwhile the clerk of `far` (row 5, the last) saves the month: rows 3 and 4 are
    # written, then undone when row 5 is refused.
    save(users["other_clerk"], tree["far"], indicators, households=11)

    response = county.post(reverse("returns:import_preview", args=[checked.pk]), follow=True)

    [message] = [m.message for m in response.context["messages"]]
    assert message == (
        f"Row 5 ({tree['far'].name_en}, {MONTH}): someone saved this return after your workbook "
        "was checked. Nothing was imported. Your workbook still holds your figures: download a "
        "new template, copy your figures into it (compare them with the saved ones), and upload "
        "it again."
    )
    assert list(MonthlyReturn.objects.values_list("community__code", "version")) == [("far", 1)]
    assert stored(tree["far"]) == {"households": Decimal(11)}
    assert ReturnEvent.objects.filter(action=ReturnEvent.Action.IMPORTED).count() == 0
    checked.refresh_from_db()
    assert checked.status == ReturnImport.Status.REJECTED
    assert checked.errors == [{"row": None, "column": "", "field": "", "message": message}]


def test_stale_version_in_the_workbook_is_an_error(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    data = fill(download(client), {(3, "households"): 10})
    save(users["clerk"], tree["home"], indicators, households=11)

    checked = upload_ok(client, data)

    assert error_lines(client, checked) == [
        "Row 3, column D (Version (do not change)): This return was saved again after the "
        "workbook was made (version 1, the workbook has 0). Download a new template and enter "
        "the figures there."
    ]


def test_confirming_twice_imports_once(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    checked = upload_ok(client, fill(download(client), {(3, "households"): 10}))

    first = client.post(reverse("returns:import_preview", args=[checked.pk]), follow=True)
    again = client.post(reverse("returns:import_preview", args=[checked.pk]), follow=True)

    assert [m.message for m in first.context["messages"]] == ["1 return imported."]
    assert [m.message for m in again.context["messages"]] == [
        "This import cannot be confirmed: Imported."
    ]
    assert MonthlyReturn.objects.get().version == 1


# ---------- Rows that cannot be imported ----------


def test_row_for_a_community_outside_the_area_is_an_error(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    data = fill(
        download(client),
        {
            (3, "households"): 5,
            (4, "community_code"): "far",
            (4, "month"): MONTH,
            (4, "version"): 0,
            (4, "households"): 6,
            (5, "community_code"): "nowhere",
            (5, "month"): MONTH,
            (5, "households"): 7,
        },
    )

    checked = upload_ok(client, data)
    client.post(reverse("returns:import_preview", args=[checked.pk]))

    assert error_lines(client, checked) == [
        "Row 4, column A (Community code): There is no community with the code “far” in your area.",
        "Row 5, column A (Community code): There is no community with the code “nowhere” in "
        "your area.",
    ]
    assert MonthlyReturn.objects.count() == 0


def test_duplicate_unknown_column_and_month_not_begun_are_errors(en, tree, users, indicators):
    next_month = add_months(PERIOD, 2)
    data = workbook_bytes(
        [
            [*FIXED, "households", "bogus", "households"],
            ["home", "", MONTH, 0, "", 1, None, 5],
            ["home", "", MONTH, 0, "", 2, None],
            ["home", "", f"{next_month:%Y-%m}", 0, "", 3, None],
            ["home", "", "10/2026", 0, "", 3, None],
            ["home", "", "2020-01", "v2", "", 3, None],
        ]
    )

    client = as_user(en, users["county"])
    checked = upload_ok(client, data)

    assert error_lines(client, checked) == [
        "Row 1 (Residents): The column of Residents (code residents) is missing. Add it back "
        "from a new template.",
        "Row 1 (Requests received): The column of Requests received (code received) is "
        "missing. Add it back from a new template.",
        "Row 1 (Requests resolved): The column of Requests resolved (code resolved) is "
        "missing. Add it back from a new template.",
        "Row 1 (Co-building funds): The column of Co-building funds (code funds) is missing. "
        "Add it back from a new template.",
        "Row 1, column G (bogus): Unknown column “bogus”: no indicator has this code. Delete "
        "the column.",
        "Row 1, column H (households): The column “households” appears twice. Delete one of "
        "the two.",
        f"Row 3, column A (Community code): {tree['home'].name_en} {MONTH} is already on row "
        "2. Keep one row of the two.",
        f"Row 4, column C (Month (YYYY-MM)): {next_month:%Y-%m} has not begun yet.",
        "Row 5, column C (Month (YYYY-MM)): Enter the month as YYYY-MM, for example 2026-10.",
        "Row 6, column D (Version (do not change)): The version must be a whole number, as in "
        "the template. Do not change it.",
    ]
    assert checked.status == ReturnImport.Status.REJECTED


def test_value_for_an_indicator_not_in_force_that_month_is_an_error(en, tree, users, indicators):
    make_indicator(code="newcomer", name_en="Newcomer", active_from=add_months(PERIOD, 1))
    data = workbook_bytes(
        [
            [*FIXED, *CODES, "newcomer"],
            ["home", "", MONTH, 0, "", 1, 2, 3, 3, None, 5],
        ]
    )

    client = as_user(en, users["county"])
    checked = upload_ok(client, data)

    assert error_lines(client, checked) == [
        f"Row 2, column K (Newcomer): This indicator is not collected for {MONTH}: leave the "
        "cell empty."
    ]


def test_township_staff_cannot_import_figures(en, tree, users, indicators):
    client = as_user(en, users["township"])

    checked = upload_ok(client, fill(download(client), {(3, "households"): 5}))

    assert error_lines(client, checked) == [
        "Row 3: Figures are entered by the community's clerk; township staff review them."
    ]


def test_submitted_return_is_an_error_only_when_changed(en, tree, users, indicators):
    draft = save(users["clerk"], tree["home"], indicators, households=5)
    domain.return_save(
        community=tree["home"],
        period=PERIOD,
        values={indicators["households"].pk: Decimal(5)},
        version=draft.version,
        by=users["clerk"],
        submit=True,
    )
    client = as_user(en, users["county"])
    data = download(client)

    untouched = upload_ok(client, fill(data, {(4, "households"): 1}))
    changed = upload_ok(client, fill(data, {(3, "households"): 6}))

    assert untouched.errors == []
    assert [error["row"] for error in changed.errors] == [3]
    assert changed.errors[0]["message"].startswith("Submitted on ")


def test_far_from_usual_value_is_a_warning(en, tree, users, indicators):
    for months_ago in (2, 3, 4):
        domain.return_save(
            community=tree["home"],
            period=add_months(PERIOD, -months_ago + 1),
            values={indicators["households"].pk: Decimal(100)},
            version=0,
            by=users["county"],
        )
    client = as_user(en, users["clerk"])

    checked = upload_ok(client, fill(download(client), {(3, "households"): 900}))
    page = client.get(reverse("returns:import_preview", args=[checked.pk]))

    assert checked.errors == []
    assert page.context["warnings"] == [
        "Row 3, column F (Households): Far from the recent months (usually about 100). Check "
        "the figure; if it is right, say why in the comment."
    ]


# ---------- Bad files: refused, nothing stored ----------


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _replace_member(data, name, content):
    source = zipfile.ZipFile(io.BytesIO(data))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[name] = content
    return _zip(members)


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData>
</worksheet>"""

SHARED_STRINGS_XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&xxe;</t></si></sst>"""

NOT_XLSX = (
    "This file is not an Excel workbook (.xlsx). Download the template, fill it in and upload "
    "it without changing its format."
)
DAMAGED = "The workbook is damaged and cannot be read. Save it again in Excel and upload it."
ENTITIES = (
    "The workbook contains XML entity declarations (a DTD), which Excel never writes. It was "
    "refused for safety."
)


def _template(client):
    return download(client)


NO_HEADER = (
    "None of the first 10 rows of the “returns” sheet holds the column codes of the template "
    "(community_code, month, version and the indicator codes). Keep the template's row of "
    "codes above the figures, or copy the figures into a new template."
)


BAD_FILES = {
    "empty": (lambda data: b"", "The file is empty."),
    "png": (
        lambda data: b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        NOT_XLSX,
    ),
    "csv": (
        lambda data: b"community_code,month,version\nhome,2026-10,0\n",
        "This is a CSV text file, not an Excel workbook (.xlsx). Your figures are not lost: "
        "open the file in LibreOffice or WPS, choose File → Save As (另存为), pick “Excel "
        "2007-365 (.xlsx)” as the type, and upload the .xlsx file.",
    ),
    "ods": (
        lambda data: _zip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b"<office:document-content/>",
            }
        ),
        "This is an OpenDocument spreadsheet (.ods), not an Excel workbook (.xlsx). Your figures "
        "are not lost: open the file in LibreOffice or WPS, choose File → Save As (另存为), pick "
        "“Excel 2007-365 (.xlsx)” as the type, and upload the .xlsx file.",
    ),
    "fods": (
        lambda data: (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<office:document '
            b'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"></office:document>'
        ),
        "This is a flat OpenDocument spreadsheet (.fods), not an Excel workbook (.xlsx). Your "
        "figures are not lost: open the file in LibreOffice or WPS, choose File → Save As "
        "(另存为), pick “Excel 2007-365 (.xlsx)” as the type, and upload the .xlsx file.",
    ),
    "old_xls": (
        lambda data: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
        "This is an old .xls workbook or a password-protected one. Save it as an Excel "
        "workbook (.xlsx) without a password and upload it again.",
    ),
    "plain_zip": (lambda data: _zip({"readme.txt": b"hello"}), NOT_XLSX),
    "truncated": (lambda data: data[: len(data) // 2], DAMAGED),
    "entity_bomb_in_sheet": (
        lambda data: _replace_member(data, "xl/worksheets/sheet1.xml", BILLION_LAUGHS),
        ENTITIES,
    ),
    "external_entity_in_shared_strings": (
        lambda data: _replace_member(data, "xl/sharedStrings.xml", SHARED_STRINGS_XXE),
        ENTITIES,
    ),
    "missing_header": (
        lambda data: workbook_bytes([["home", "西园", "2026-10", 0, "", 1]]),
        NO_HEADER,
    ),
    "missing_month_column": (
        lambda data: workbook_bytes([["community_code", "version", "households"]]),
        "The row of column codes (row 1 of the “returns” sheet) lacks the column(s) month "
        "(Month (YYYY-MM)). Download a new template and copy the figures into it.",
    ),
    "no_rows": (
        lambda data: workbook_bytes([[*FIXED, *CODES], ["Community code", "x"]]),
        "The workbook has no rows of returns to import.",
    ),
    "empty_sheet": (
        lambda data: workbook_bytes([]),
        NO_HEADER,
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_is_refused_and_nothing_stored(en, tree, users, indicators, kind):
    client = as_user(en, users["clerk"])
    make_bad, message = BAD_FILES[kind]
    data = make_bad(fill(download(client), {(3, "households"): 1}))

    response = upload(client, data)

    assert response.status_code == 200
    assert upload_errors(response) == [message]
    assert ReturnImport.objects.count() == 0
    assert MonthlyReturn.objects.count() == 0


def test_file_over_the_size_limit_is_refused(en, tree, users, indicators, settings):
    client = as_user(en, users["clerk"])
    data = download(client)
    settings.RETURN_UPLOAD_MAX_BYTES = 1024

    response = upload(client, data)

    assert upload_errors(response) == [
        "The file is larger than 1 KB. Upload the returns sheet on its own."
    ]
    assert ReturnImport.objects.count() == 0


def test_zip_bomb_over_the_unzipped_limit_is_refused(en, tree, users, indicators, settings):
    client = as_user(en, users["clerk"])
    settings.RETURN_UPLOAD_MAX_UNZIPPED_BYTES = 1024 * 1024
    data = _replace_member(download(client), "xl/media/zeros.bin", b"\0" * (2 * 1024 * 1024))

    response = upload(client, data)

    assert len(data) < 30_000
    assert upload_errors(response) == [
        "The workbook unpacks to more than 1 MB, far more than a returns sheet needs. It was "
        "refused for safety."
    ]
    assert ReturnImport.objects.count() == 0


def test_zip_bomb_by_compression_ratio_is_refused(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    data = _replace_member(download(client), "xl/worksheets/sheet1.xml", b" " * (8 * 1024 * 1024))

    response = upload(client, data)

    assert upload_errors(response) == [
        "The workbook is compressed far more than a spreadsheet can be (a zip bomb). It was "
        "refused for safety."
    ]
    assert ReturnImport.objects.count() == 0


def test_openpyxl_parses_through_defusedxml(en, tree, users, indicators):
    data = _replace_member(
        download(as_user(en, users["clerk"])), "xl/worksheets/sheet1.xml", BILLION_LAUGHS
    )

    with pytest.raises(ValueError, match="Unable to read workbook") as caught:
        openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)

    assert openpyxl.xml.DEFUSEDXML is True
    assert isinstance(caught.value.__cause__, DefusedXmlException)


def test_damaged_xml_inside_a_valid_zip_is_refused(en, tree, users, indicators):
    client = as_user(en, users["clerk"])
    data = _replace_member(download(client), "xl/worksheets/sheet1.xml", b"<worksheet><row")

    response = upload(client, data)

    assert upload_errors(response) == [DAMAGED]


# ---------- Who may see what ----------


def test_another_users_import_is_404(en, tree, users, indicators):
    clerk = as_user(en, users["clerk"])
    checked = upload_ok(clerk, fill(download(clerk), {(3, "households"): 1}))
    url = reverse("returns:import_preview", args=[checked.pk])

    en.force_login(users["township"])
    other_get, other_post = en.get(url), en.post(url)
    en.force_login(users["county"])
    county = en.get(url)

    assert (other_get.status_code, other_post.status_code, county.status_code) == (404, 404, 200)
    assert MonthlyReturn.objects.count() == 0


URLS = [TEMPLATE_URL, IMPORT_URL, reverse("returns:import_preview", args=[1])]


@pytest.mark.parametrize("url", URLS)
def test_anonymous_user_is_sent_to_login(client, url):
    response = client.get(url)

    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("role", ["judge", "no_role"])
@pytest.mark.parametrize("url", URLS)
def test_user_without_staff_role_gets_403(en, users, role, url):
    response = as_user(en, users[role]).get(url)

    assert response.status_code == 403


def test_import_page_lists_own_recent_uploads(en, tree, users, indicators):
    clerk = as_user(en, users["clerk"])
    checked = upload_ok(clerk, fill(download(clerk), {(3, "households"): 1}))

    page = clerk.get(IMPORT_URL)

    assert list(page.context["recent"]) == [checked]


# ---------- Queries: fixed, whatever the number of rows ----------


@pytest.mark.parametrize("count", [3, 30])
def test_checking_rows_takes_the_same_queries_for_3_and_30_rows(users, indicators, count):
    communities = [make_community() for _ in range(count)]
    for community in communities[::2]:
        domain.return_save(
            community=community,
            period=PERIOD,
            values={indicators["households"].pk: Decimal(1)},
            version=0,
            by=users["county"],
        )
    versions = dict(MonthlyReturn.objects.values_list("community__code", "version"))
    data = workbook_bytes(
        [[*FIXED, *CODES]]
        + [[c.code, "", MONTH, versions.get(c.code, 0), "", 2, 3, 4, 4, 5] for c in communities]
    )
    sheet = read_sheet(data)
    access_for(users["county"])  # the user's scope, read once per request

    with CaptureQueriesContext(connection) as queries:
        checked = check_rows(sheet, user=users["county"])

    assert checked.errors == []
    assert len(checked.rows) == count
    # Communities, returns, stored values, the indicators in the header; then per month:
    # indicators, rules, recent values, and the six of services.prefill (what the service
    # records say, shown beside a figure that differs).
    assert len(queries) == 13


def test_entity_declaration_is_refused_by_openpyxl_too(tree, users, indicators):
    """The second line of defence: read_sheet alone, without the zip scan of check_upload."""
    data = _replace_member(
        workbook_bytes([[*FIXED, *CODES], ["home", "", MONTH, 0]]),
        "xl/worksheets/sheet1.xml",
        BILLION_LAUGHS,
    )

    with translation.override("en"), pytest.raises(Refused) as caught:
        read_sheet(data)

    assert caught.value.message == (
        "The workbook contains XML entity declarations. It was refused for safety."
    )


# ---------- Prefilled from the service records, comments, typed errors (issue 12, §7) ----------


def test_template_prefills_what_the_service_records_say(en, tree, users, indicators):
    make_indicator(code="registered_volunteers", name_en="Registered volunteers", unit="人")
    make_volunteer(community=tree["home"], registered_on=PERIOD)
    make_volunteer(community=tree["far"], registered_on=PERIOD)
    domain.return_save(
        community=tree["far"],
        period=PERIOD,
        values={indicators["households"].pk: Decimal(5)},
        version=0,
        by=users["county"],
        submit=True,
    )

    workbook = openpyxl.load_workbook(io.BytesIO(download(as_user(en, users["county"]))))

    sheet = workbook["returns"]
    column = [cell.value for cell in sheet[1]].index("registered_volunteers") + 1
    home, neighbour, far = (sheet.cell(row, column) for row in (3, 4, 5))
    assert (home.value, neighbour.value, far.value) == (1, None, None)  # far: submitted
    assert home.comment.text == "Prefilled from the service records (据服务记录预填)."
    assert home.fill.start_color.rgb == "FFFFF4D6"
    assert far.comment is None


def test_preview_shows_what_the_records_say_where_the_figure_differs(en, tree, users, indicators):
    make_indicator(code="registered_volunteers", name_en="Registered volunteers", unit="人")
    make_volunteer(community=tree["home"], registered_on=PERIOD)
    client = as_user(en, users["clerk"])
    data = fill(download(client), {(3, "registered_volunteers"): 4, (3, "households"): 9})

    checked = upload_ok(client, data)
    page = client.get(reverse("returns:import_preview", args=[checked.pk]))

    [row] = page.context["rows"]
    assert [(c["value"], c["records"]) for c in row["columns"]] == [
        ("9", None),
        (None, None),
        (None, None),
        (None, None),
        (None, None),
        ("4", Decimal(1)),
    ]
    assert '<span class="import-cell__records">records say 1</span>' in page.content.decode()


def test_comment_column_is_filled_read_and_cleared(en, tree, users, indicators):
    save(users["clerk"], tree["home"], indicators, households=100, residents=9)
    ReturnValue.objects.filter(indicator=indicators["residents"]).update(comment="新小区入住")
    client = as_user(en, users["clerk"])
    template = download(client)
    assert sheet_rows(template)[2][10:12] == [None, "新小区入住"]

    data = fill(
        template,
        {
            (3, "households"): 180,
            (3, "households:comment"): "+80户：新楼盘交付",
            (3, "residents:comment"): "",
        },
    )
    checked = upload_ok(client, data)
    client.post(reverse("returns:import_preview", args=[checked.pk]))

    comments = dict(
        ReturnValue.objects.filter(monthly_return__community=tree["home"]).values_list(
            "indicator__code", "comment"
        )
    )
    assert comments == {"households": "+80户：新楼盘交付", "residents": ""}
    # Written back escaped, read back as typed: a round trip changes nothing.
    again = download(client)
    assert sheet_rows(again)[2][10] == "'+80户：新楼盘交付"
    assert upload_ok(client, again).rows[0]["unchanged"] is True


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1 968", "“1 968” contains a space: type the figure without spaces, e.g. 1968."),
        (
            "1,968",
            "“1,968” contains a comma: type the figure without thousands separators, e.g. 1968.",
        ),
        ("12.5", "“12.5” is not a whole number: Households is counted in whole units."),
        ("12户", "“12户” is not a number: type the figure alone, without a unit or other text."),
        ("n/a", "“n/a” is not a number: type a figure, or leave the cell empty."),
    ],
)
def test_typed_error_quotes_the_value_and_marks_the_cell(
    en, tree, users, indicators, typed, message
):
    client = as_user(en, users["clerk"])

    checked = upload_ok(client, fill(download(client), {(3, "households"): typed}))
    page = client.get(reverse("returns:import_preview", args=[checked.pk]))

    assert error_lines(client, checked) == [f"Row 3, column F (Households): {message}"]
    cell = page.context["rows"][0]["columns"][0]
    assert (cell["value"], cell["error"]) == (typed, message)
    assert '<td class="num import-cell--error"><mark class="import-cell__value"' in (
        page.content.decode()
    )


@pytest.mark.parametrize("count", [3, 30])
def test_template_takes_the_same_queries_for_3_and_30_communities(users, indicators, count):
    communities = [make_community() for _ in range(count)]
    for community in communities[::2]:
        make_volunteer(community=community, registered_on=PERIOD)
        save(users["county"], community, indicators, households=1)
    access_for(users["county"])  # the user's scope, read once per request

    with CaptureQueriesContext(connection) as queries:
        template_workbook(communities=communities, period=PERIOD, user=users["county"])

    # The indicators of the month, the returns, their values; the six of services.prefill.
    assert len(queries) == 9
