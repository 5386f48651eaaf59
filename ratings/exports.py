"""A round's score sheets and results as .xlsx workbooks, built from queries.round_results.

Scores: one row per judge, declaration and criterion scored by the judges (an abstention is
one row per criterion with no points), and a second sheet with each criterion's aggregate
(mean, judges counted, the dropped highest and lowest scores, weight, weighted points).
Results: the ranked results by category. Every row goes through
chunan_community.spreadsheets.append_row, the portal's one formula escaping.
"""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from chunan_community.spreadsheets import append_row, xlsx_bytes
from ratings.models import Criterion, Tier


def _sheet(workbook, title, header, rows, widths):
    sheet = workbook.create_sheet(title)
    append_row(sheet, header)
    for column in sheet[1]:
        column.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _judge_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _category(result) -> str:
    return str(Tier(result.category).label)


def score_rows(results):
    for result in results:
        community = result.declaration.community
        sheets = sorted(result.sheets, key=lambda s: s.judge.get_username())
        judged = [c for c in result.criteria if c.criterion.source == Criterion.Source.JUDGED]
        for sheet in sheets:
            points = {s.criterion_id: s.points for s in sheet.scores.all()}
            for criterion_result in judged:
                criterion = criterion_result.criterion
                if sheet.abstained:
                    state = _("abstained")
                elif (
                    criterion_result.dropped_high
                    and criterion_result.dropped_high.judge_id == sheet.judge_id
                ):
                    state = _("dropped (highest)")
                elif (
                    criterion_result.dropped_low
                    and criterion_result.dropped_low.judge_id == sheet.judge_id
                ):
                    state = _("dropped (lowest)")
                else:
                    state = _("counted")
                yield [
                    _category(result),
                    community.code,
                    community.local_name,
                    sheet.judge.get_username(),
                    _judge_name(sheet.judge),
                    criterion.code,
                    criterion.name,
                    criterion.max_points,
                    None if sheet.abstained else points.get(criterion.pk),
                    state,
                ]


def aggregate_rows(results):
    usernames = {
        sheet.judge_id: sheet.judge.get_username() for result in results for sheet in result.sheets
    }
    for result in results:
        community = result.declaration.community
        for c in result.criteria:
            high, low = c.dropped_high, c.dropped_low
            yield [
                _category(result),
                community.code,
                community.local_name,
                c.criterion.code,
                c.criterion.name,
                c.criterion.get_source_display(),
                c.judges_counted,
                usernames.get(high.judge_id) if high else None,
                high.points if high else None,
                usernames.get(low.judge_id) if low else None,
                low.points if low else None,
                c.mean,
                c.criterion.weight,
                c.weighted,
                c.finding.detail if c.finding else None,
            ]


def scores_workbook(results) -> bytes:
    """The score sheets of a round (queries.round_results) as an .xlsx."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        _("Scores"),
        [
            _("Category"),
            _("Community code"),
            _("Community"),
            _("Judge (user name)"),
            _("Judge"),
            _("Criterion code"),
            _("Criterion"),
            _("Maximum points"),
            _("Points"),
            _("Counted"),
        ],
        score_rows(results),
        [16, 14, 16, 16, 14, 16, 24, 10, 10, 16],
    )
    _sheet(
        workbook,
        _("Aggregate"),
        [
            _("Category"),
            _("Community code"),
            _("Community"),
            _("Criterion code"),
            _("Criterion"),
            _("Source"),
            _("Judges counted"),
            _("Highest dropped: judge"),
            _("Highest dropped: points"),
            _("Lowest dropped: judge"),
            _("Lowest dropped: points"),
            _("Mean"),
            _("Weight"),
            _("Weighted"),
            _("Portal data"),
        ],
        aggregate_rows(results),
        [16, 14, 16, 16, 24, 20, 10, 14, 10, 14, 10, 10, 8, 10, 30],
    )
    return xlsx_bytes(workbook)


def result_rows(results):
    for result in results:
        community = result.declaration.community
        yield [
            _category(result),
            result.rank,
            community.code,
            community.local_name,
            community.township.local_name,
            result.total,
            result.judged_total,
            result.label,
            _("yes") if result.reached else _("no"),
            " ".join(result.explanation),
        ]


def results_workbook(results) -> bytes:
    """The ranked results of a round (queries.round_results) by category, as an .xlsx."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(
        workbook,
        _("Results"),
        [
            _("Category"),
            _("Rank"),
            _("Community code"),
            _("Community"),
            _("Township"),
            _("Total score"),
            _("Judges' weighted sum (tie-break)"),
            _("Rating after the round"),
            _("Reached in this round"),
            _("How the tier was decided"),
        ],
        result_rows(results),
        [16, 6, 14, 16, 14, 10, 14, 18, 10, 60],
    )
    return xlsx_bytes(workbook)
