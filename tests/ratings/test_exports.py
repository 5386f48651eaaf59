"""The .xlsx exports of a round: every judge's points per criterion, the aggregate, results."""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from communities.models import FacilityKind
from ratings.models import Criterion, Round, RoundStatus
from tests.ratings.test_results import scored  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

SCORES_HEADER = [
    "Category",
    "Community code",
    "Community",
    "Judge (user name)",
    "Judge",
    "Criterion code",
    "Criterion",
    "Maximum points",
    "Points",
    "Counted",
]


def _download(client, user, name, code="r2026"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client.get(reverse(f"ratings:staff_export_{name}", kwargs={"code": code}))


def _rows(response, sheet):
    workbook = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def _all_facilities():
    with translation.override("en"):
        return ", ".join(str(label) for label in FacilityKind.labels)


def _name(community):
    with translation.override("en"):
        return community.local_name


def test_scores_export_one_row_per_judge_declaration_criterion(client, scored, users):  # noqa: F811
    response = _download(client, users["county"], "scores")

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="scores-r2026.xlsx"'
    rows = _rows(response, "Scores")
    assert rows[0] == SCORES_HEADER
    home = _name(scored["home"].community)
    line = ["Normative community", "home", home]
    assert [r for r in rows[1:] if r[1] == "home"] == [
        [*line, "j2", "j2", "org", "组织建设", 20, 12, "counted"],
        [*line, "j2", "j2", "svc", "服务网络", 30, 22, "counted"],
        [*line, "j3", "j3", "org", "组织建设", 20, 14, "counted"],
        [*line, "j3", "j3", "svc", "服务网络", 30, 24, "counted"],
        [*line, "j4", "j4", "org", "组织建设", 20, 16, "counted"],
        [*line, "j4", "j4", "svc", "服务网络", 30, 26, "counted"],
        [*line, "j5", "j5", "org", "组织建设", 20, 18, "dropped (highest)"],
        [*line, "j5", "j5", "svc", "服务网络", 30, 28, "dropped (highest)"],
        [*line, "j7", "j7", "org", "组织建设", 20, None, "abstained"],
        [*line, "j7", "j7", "svc", "服务网络", 30, None, "abstained"],
        [*line, "judge", "judge", "org", "组织建设", 20, 10, "dropped (lowest)"],
        [*line, "judge", "judge", "svc", "服务网络", 30, 20, "dropped (lowest)"],
    ]
    # home 6 sheets x 2, neighbour and extra 5 x 2, far 5 x 1; J6 (conflicted) nowhere.
    assert len(rows) == 1 + 12 + 10 + 10 + 5
    assert "j6" not in {r[3] for r in rows}


def test_scores_export_aggregate_sheet(client, scored, users):  # noqa: F811
    rows = _rows(_download(client, users["county"], "scores"), "Aggregate")

    home = _name(scored["home"].community)
    assert rows[0] == [
        "Category",
        "Community code",
        "Community",
        "Criterion code",
        "Criterion",
        "Source",
        "Judges counted",
        "Highest dropped: judge",
        "Highest dropped: points",
        "Lowest dropped: judge",
        "Lowest dropped: points",
        "Mean",
        "Weight",
        "Weighted",
        "Portal data",
    ]
    line = ["Normative community", "home", home]
    assert [r for r in rows[1:] if r[1] == "home"] == [
        [
            *line,
            "org",
            "组织建设",
            "Scored by the judges",
            3,
            "j5",
            18,
            "judge",
            10,
            14,
            1,
            14,
            None,
        ],
        [
            *line,
            "svc",
            "服务网络",
            "Scored by the judges",
            3,
            "j5",
            28,
            "judge",
            20,
            24,
            2,
            48,
            None,
        ],
        [
            *line,
            "fac",
            "五室二站",
            "Facility checklist complete (portal data)",
            0,
            None,
            None,
            None,
            None,
            0,
            1,
            0,
            "0 of 9 facilities; missing: " + _all_facilities(),
        ],
    ]


def test_results_export_exact(client, scored, users, tree):  # noqa: F811
    rows = _rows(_download(client, users["county"], "results"), "Results")

    assert rows == [
        [
            "Category",
            "Rank",
            "Community code",
            "Community",
            "Township",
            "Total score",
            "Judges' weighted sum (tie-break)",
            "Rating after the round",
            "Reached in this round",
            "How the tier was decided",
        ],
        [
            "Normative community",
            1,
            "home",
            _name(tree["home"]),
            _name(tree["north"]),
            62,
            62,
            "Normative community",
            "yes",
            "The total 62.00 reaches the normative cut-off 40.00.",
        ],
        [
            "Normative community",
            2,
            "neighbour",
            _name(tree["neighbour"]),
            _name(tree["north"]),
            45,
            45,
            "Normative community",
            "yes",
            "The total 45.00 reaches the normative cut-off 40.00.",
        ],
        [
            "Normative community",
            3,
            "extra",
            _name(scored["extra"]),
            _name(tree["south"]),
            15,
            15,
            "no rating",
            "no",
            "The total 15.00 is below the normative cut-off 40.00. "
            "It holds no rating, so it receives none in this round.",
        ],
        [
            "Star community",
            1,
            "far",
            _name(tree["far"]),
            _name(tree["south"]),
            40,
            40,
            "1-star community",
            "yes",
            "The total 40.00 reaches the 1-star cut-off 40.00. 3 stars were declared.",
        ],
    ]


def test_export_escapes_formula_like_text(client, scored, users):  # noqa: F811
    Criterion.objects.filter(code="org").update(name='=HYPERLINK("http://x")')

    response = _download(client, users["county"], "scores")

    workbook = load_workbook(io.BytesIO(response.content))
    cells = [row[6] for row in workbook["Scores"].iter_rows(min_row=2) if row[5].value == "org"]
    assert {(c.value, c.data_type) for c in cells} == {('\'=HYPERLINK("http://x")', "s")}


def test_exports_chair_may_download(client, scored, users):  # noqa: F811
    assert _download(client, users["judge"], "scores").status_code == 200
    assert _download(client, users["judge"], "results").status_code == 200


@pytest.mark.parametrize("name", ["scores", "results"])
@pytest.mark.parametrize("role", ["township", "clerk", "no_role"])
def test_exports_others_404(client, scored, users, name, role):  # noqa: F811
    assert _download(client, users[role], name).status_code == 404


def test_exports_ordinary_judge_404(client, scored):  # noqa: F811
    assert _download(client, scored["judges"][1], "scores").status_code == 404


@pytest.mark.parametrize("name", ["scores", "results"])
def test_exports_before_scoring_closed_404(client, scored, users, name):  # noqa: F811
    Round.objects.filter(pk=scored["round"].pk).update(status=RoundStatus.REVIEW)

    assert _download(client, users["county"], name).status_code == 404


def test_exports_anonymous_sent_to_login(client, scored):  # noqa: F811
    response = client.get(reverse("ratings:staff_export_scores", kwargs={"code": "r2026"}))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
