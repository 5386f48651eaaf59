"""Monthly returns in Excel, written: the template to fill in and the exports.

The template and the import (communities.returns.imports) share the sheet's layout: its
name, the row of column codes and the fixed columns, defined here.
"""

import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chunan_community.spreadsheets import append_row, text_width, xlsx_bytes
from communities.models import (
    Indicator,
    MonthlyReturn,
    ReturnStatus,
    ReturnValue,
)
from communities.returns.checks import VALUE_LIMIT
from communities.returns.domain import edit_refusal
from communities.returns.prefill import prefill_many
from communities.returns.queries import active_indicators

logger = logging.getLogger(__name__)

RETURNS_SHEET = "returns"
INDICATORS_SHEET = "indicators"
FIRST_DATA_ROW = 3  # row 1: column codes, row 2: labels
COMMENT_SUFFIX = ":comment"  # `households:comment`: the comment on the households figure
HEADER_SEARCH_ROWS = 10  # the row of codes is looked for this far down

# The fixed columns, by the code in row 1; indicator columns carry the indicator's code.
COMMUNITY, NAME, MONTH, VERSION, STATUS = (
    "community_code",
    "community_name",
    "month",
    "version",
    "status",
)
FIXED_LABELS = {
    COMMUNITY: gettext_lazy("Community code"),
    NAME: gettext_lazy("Community name"),
    MONTH: gettext_lazy("Month (YYYY-MM)"),
    VERSION: gettext_lazy("Version (do not change)"),
    STATUS: gettext_lazy("Status (for information)"),
}
REQUIRED_COLUMNS = (COMMUNITY, MONTH, VERSION)


def month_label(period: datetime.date) -> str:
    """A month as its cells show it: 2026-10."""
    return f"{period:%Y-%m}"


EXPORT_CHUNK = 500  # returns per query for their values while exporting


# ---------- The template ----------

HEADER_FILL = PatternFill("solid", start_color="FFE8EEF4")
RECORDS_FILL = PatternFill("solid", start_color="FFFFF4D6")  # figures from the records
FIXED_FILL = PatternFill("solid", start_color="FFF2F2F2")
CODE_FONT = Font(color="FF808080", size=9)
LABEL_FONT = Font(bold=True)


def _limit(value: Decimal | None, indicator) -> str | None:
    if value is None:
        return None
    return str(int(value)) if indicator.value_type == Indicator.ValueType.INTEGER else str(value)


def _limit_value(value: Decimal | None, indicator) -> int | Decimal | None:
    if value is None or indicator.value_type != Indicator.ValueType.INTEGER:
        return value
    return int(value)


def _validation(indicator, cells: str) -> DataValidation:
    whole = indicator.value_type == Indicator.ValueType.INTEGER
    low = indicator.minimum if indicator.minimum is not None else -VALUE_LIMIT
    high = indicator.maximum if indicator.maximum is not None else VALUE_LIMIT
    if whole:
        message = _("Enter a whole number from %(min)s to %(max)s.")
    else:
        message = _("Enter a number from %(min)s to %(max)s, with at most two decimals.")
    validation = DataValidation(
        type="whole" if whole else "decimal",
        operator="between",
        formula1=_limit(low, indicator),
        formula2=_limit(high, indicator),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=str(indicator.local_name)[:32],
        error=message % {"min": _limit(low, indicator), "max": _limit(high, indicator)},
        promptTitle=str(indicator.local_name)[:32],
        prompt=(indicator.help_text or "")[:250] or None,
        showInputMessage=bool(indicator.help_text),
    )
    validation.add(cells)
    return validation


def indicator_label(indicator) -> str:
    return f"{indicator.local_name}（{indicator.unit}）" if indicator.unit else indicator.local_name


def comment_code(indicator) -> str:
    """The column code of the comment (说明) on an indicator's figure."""
    return f"{indicator.code}{COMMENT_SUFFIX}"


def comment_stem(code: str) -> str | None:
    return code[: -len(COMMENT_SUFFIX)] if code.endswith(COMMENT_SUFFIX) else None


def template_workbook(
    *, communities, period: datetime.date, user=None, today: datetime.date | None = None
) -> bytes:
    """An .xlsx for `communities` and the month, prefilled with what is saved, and a comment
    column (说明) per figure after the figures.

    For `user`, a figure not saved yet of a return they may still change is filled with
    what the service records say (communities.returns.prefill), as the entry page does; those
    cells are shaded and noted. Queries: the indicators of the month, the returns and their
    values, and the prefill providers' fixed number: none grows with the communities.
    """
    communities = list(communities)
    indicators = active_indicators(period)
    returns = {
        r.community_id: r
        for r in MonthlyReturn.objects.filter(community__in=communities, period=period)
    }
    values = defaultdict(dict)
    for return_id, indicator_id, value, comment in ReturnValue.objects.filter(
        monthly_return__in=[r.pk for r in returns.values()]
    ).values_list("monthly_return_id", "indicator_id", "value", "comment"):
        values[return_id][indicator_id] = (value, comment)
    records = {}
    if user is not None:
        today = today or timezone.localdate()
        editable = []
        for community in communities:
            candidate = returns.get(community.pk) or MonthlyReturn(period=period, version=0)
            candidate.community = community  # read already: no query per return
            if edit_refusal(user, candidate, today=today) is None:
                editable.append(community.pk)
        records = prefill_many(editable, period, codes=[i.code for i in indicators])

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = RETURNS_SHEET
    fixed = [COMMUNITY, NAME, MONTH, VERSION, STATUS]
    codes = (
        fixed
        + [indicator.code for indicator in indicators]
        + [comment_code(indicator) for indicator in indicators]
    )
    labels = (
        [str(FIXED_LABELS[key]) for key in fixed]
        + [indicator_label(i) for i in indicators]
        + [_("Comment: %(indicator)s") % {"indicator": i.local_name} for i in indicators]
    )
    append_row(sheet, codes)
    append_row(sheet, labels)
    for cell in sheet[1]:
        cell.font = CODE_FONT
    for cell in sheet[2]:
        cell.font = LABEL_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[2].height = 36
    statuses = dict(ReturnStatus.choices)
    from_records = []  # (row, column) of the cells filled from the service records
    for community in communities:
        monthly_return = returns.get(community.pk)
        saved = values[monthly_return.pk] if monthly_return else {}
        figures = records.get(community.pk, {})
        row = [
            community.code,
            community.local_name,
            month_label(period),
            monthly_return.version if monthly_return else 0,
            str(statuses[monthly_return.status]) if monthly_return else "",
        ]
        comments = []
        for indicator in indicators:
            value, comment = saved.get(indicator.pk, (None, ""))
            if value is None and indicator.code in figures:
                value = figures[indicator.code]
                from_records.append((sheet.max_row + 1, len(row) + 1))
            if value is not None and indicator.value_type == Indicator.ValueType.INTEGER:
                value = int(value)
            row.append(value)
            comments.append(comment or None)
        append_row(sheet, row + comments)
    for number, column in from_records:
        cell = sheet.cell(number, column)
        cell.fill = RECORDS_FILL
        cell.comment = Comment(str(_("Prefilled from the service records (据服务记录预填).")), "")
    last = max(sheet.max_row, FIRST_DATA_ROW)
    for number in range(FIRST_DATA_ROW, last + 1):
        for column in range(1, len(fixed) + 1):
            sheet.cell(number, column).fill = FIXED_FILL
        sheet.cell(number, 3).number_format = "@"
    for offset, indicator in enumerate(indicators):
        letter = get_column_letter(len(fixed) + offset + 1)
        integer = indicator.value_type == Indicator.ValueType.INTEGER
        for number in range(FIRST_DATA_ROW, last + 1):
            sheet.cell(number, len(fixed) + offset + 1).number_format = "0" if integer else "0.00"
        sheet.add_data_validation(
            _validation(indicator, f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
        )
    for column in range(len(fixed) + len(indicators) + 1, len(codes) + 1):
        for number in range(FIRST_DATA_ROW, last + 1):
            sheet.cell(number, column).number_format = "@"  # a comment stays text
    for index, (code, label) in enumerate(zip(codes, labels, strict=True), start=1):
        wide = max(text_width(code), min(text_width(label), 24), 8)
        sheet.column_dimensions[get_column_letter(index)].width = wide
    sheet.column_dimensions["B"].width = max([12] + [text_width(c.local_name) for c in communities])
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, len(fixed) + 1)

    about = workbook.create_sheet(INDICATORS_SHEET)
    append_row(
        about,
        [
            _("Code"),
            _("Name"),
            _("Name in English"),
            _("Unit"),
            _("Type"),
            _("Minimum"),
            _("Maximum"),
            pgettext("indicator must be filled in", "Required"),
            _("Group"),
            _("Help"),
        ],
    )
    for cell in about[1]:
        cell.font = LABEL_FONT
        cell.fill = HEADER_FILL
    for indicator in indicators:
        append_row(
            about,
            [
                indicator.code,
                indicator.name,
                indicator.name_en,
                indicator.unit,
                str(indicator.get_value_type_display()),
                _limit_value(indicator.minimum, indicator),
                _limit_value(indicator.maximum, indicator),
                _("Yes") if indicator.required else _("No"),
                indicator.group.local_name,
                indicator.help_text,
            ],
        )
    for letter, width in zip("ABCDEFGHIJ", (24, 24, 30, 8, 12, 10, 14, 8, 16, 60), strict=True):
        about.column_dimensions[letter].width = width
    about.freeze_panes = "A2"
    workbook.properties.title = _("Monthly returns %(month)s") % {"month": month_label(period)}
    workbook.properties.creator = _("Chun'an community-building portal")
    return xlsx_bytes(workbook)


# ---------- Exports ----------


def export_returns(
    user, *, month_from=None, month_to=None, township=None, community=None, status=""
):
    """The returns in `user`'s area that match the filters, in export order."""
    returns = MonthlyReturn.objects.visible_to(user)
    if month_from:
        returns = returns.filter(period__gte=month_from)
    if month_to:
        returns = returns.filter(period__lte=month_to)
    if township:
        returns = returns.filter(community__township=township)
    if community:
        returns = returns.filter(community=community)
    if status:
        returns = returns.filter(status=status)
    return returns.order_by(
        "period", "community__township__sort_order", "community__township__code", "community__code"
    )


def export_indicators(month_from=None, month_to=None) -> list[Indicator]:
    """The indicators in force at some time in the range: one column each."""
    indicators = Indicator.objects.all()
    if month_to:
        indicators = indicators.filter(active_from__lte=month_to)
    if month_from:
        indicators = indicators.filter(Q(active_to__isnull=True) | Q(active_to__gte=month_from))
    return list(indicators)


def export_header(indicators) -> list[str]:
    return [
        _("Community code"),
        _("Community"),
        _("Township"),
        _("Month"),
        _("Status"),
        _("Late"),
        _("Sample data"),
        *[indicator_label(indicator) for indicator in indicators],
    ]


def export_lines(returns, indicators):
    """One list of cell values per return; values fetched one chunk of returns at a time.

    Memory stays flat however many returns there are: the returns are read with a
    server-side cursor (iterator) and their values with one query per EXPORT_CHUNK returns.
    Labels are fixed when called, so the lines keep the request's language while streaming.
    """
    english = (translation.get_language() or "").startswith("en")
    statuses = {value: str(label) for value, label in ReturnStatus.choices}
    yes, no = _("Yes"), _("No")
    rows = returns.values_list(
        "pk",
        "community__code",
        "community__name",
        "community__name_en",
        "community__township__name",
        "community__township__name_en",
        "period",
        "status",
        "is_late",
        "is_sample",
    )
    integer = {i.pk for i in indicators if i.value_type == Indicator.ValueType.INTEGER}
    labels = {"statuses": statuses, "yes": yes, "no": no, "english": english}

    def generate():
        chunk = []
        for row in rows.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(row)
            if len(chunk) == EXPORT_CHUNK:
                yield from _export_chunk(chunk, indicators, integer, labels)
                chunk = []
        if chunk:
            yield from _export_chunk(chunk, indicators, integer, labels)

    return generate()


def _export_chunk(chunk, indicators, integer, labels):
    values = defaultdict(dict)
    for return_id, indicator_id, value in ReturnValue.objects.filter(
        monthly_return_id__in=[row[0] for row in chunk]
    ).values_list("monthly_return_id", "indicator_id", "value"):
        if value is not None:
            values[return_id][indicator_id] = int(value) if indicator_id in integer else value
    for pk, code, name, name_en, township, township_en, period, status, late, sample in chunk:
        english = labels["english"]
        yield [
            code,
            (name_en or name) if english else name,
            (township_en or township) if english else township,
            month_label(period),
            labels["statuses"].get(status, status),
            labels["yes"] if late else labels["no"],
            labels["yes"] if sample else labels["no"],
            *[values[pk].get(indicator.pk) for indicator in indicators],
        ]
