"""Monthly returns in Excel, read: the checked import of a filled-in template.

An upload passes three gates, and nothing is stored unless it passes the first two:
1. the file (`check_upload`): its size, a real xlsx, no zip bomb, no DTD or entity in any
   XML part, all decided with zipfile before openpyxl parses a byte (defusedxml, which
   openpyxl then uses, is the second line of defence);
2. the sheet (`read_sheet`): the header row names the columns it needs;
3. every row (`check_rows`): community in the user's area, month, duplicates, version, and
   the very ReturnForm the entry page uses, so a figure is judged the same way however it
   arrives. The checked rows and every error per cell are kept in a ReturnImport.
Only an import without errors can be confirmed; `return_import_apply` then saves all its rows
through domain.return_save in one transaction: all or nothing.

A workbook is a form of many rows: this module sits beside the forms (it validates input
through ReturnForm) and above the domain, which it calls to save.
"""

import datetime
import io
import logging
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from defusedxml import DefusedXmlException
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from chunan_community.errors import Refused
from chunan_community.months import month_start, parse_month
from chunan_community.spreadsheets import unescape_text
from communities.models import (
    Community,
    Indicator,
    MonthlyReturn,
    ReturnEvent,
    ReturnImport,
    ReturnValue,
)
from communities.returns.domain import StaleReturn, edit_refusal, return_save
from communities.returns.excel import (
    COMMUNITY,
    FIXED_LABELS,
    HEADER_SEARCH_ROWS,
    INDICATORS_SHEET,
    MONTH,
    REQUIRED_COLUMNS,
    RETURNS_SHEET,
    VERSION,
    comment_code,
    comment_stem,
    month_label,
)
from communities.returns.forms import (
    ReturnForm,
    comment_field_name,
    value_field_name,
)
from communities.returns.prefill import prefill_many
from communities.returns.queries import active_indicators, rules_among, values_before

logger = logging.getLogger(__name__)


# Limits on what one workbook may hold; a county-wide year is about 1,000 rows.
MAX_DATA_ROWS = 5_000
MAX_SHEET_ROWS = 20_000  # blank rows included
MAX_COLUMNS = 300
MAX_ZIP_MEMBERS = 1_000
# A member inflating more than this many times is a zip bomb, once it is big enough to matter:
# a real sheet compresses 5 to 30 times.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# A DTD has no place in an xlsx; entity declarations are how XML bombs work.
XML_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
SCAN_CHUNK = 64 * 1024


# ---------- Gate 1: the file ----------


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{size / 1024:.3g} KB"


def _too_big() -> str:
    return _("The file is larger than %(limit)s. Upload the returns sheet on its own.") % {
        "limit": _size(settings.RETURN_UPLOAD_MAX_BYTES)
    }


def _save_as_xlsx(kind: str) -> str:
    """What to do with a sheet in another format: save it as .xlsx, the figures are kept."""
    return _(
        "This is %(kind)s, not an Excel workbook (.xlsx). Your figures are not lost: open the "
        "file in LibreOffice or WPS, choose File → Save As (另存为), pick “Excel 2007-365 "
        "(.xlsx)” as the type, and upload the .xlsx file."
    ) % {"kind": kind}


def _zip_mimetype(data: bytes) -> bytes:
    """The `mimetype` member an OpenDocument file starts with (b"" if none or unreadable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = archive.getinfo("mimetype")
            if member.file_size > 200:
                return b""
            return archive.read(member)
    except (KeyError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return b""
    except (zlib.error, NotImplementedError, RuntimeError):
        return b""


def _other_format(data: bytes, name: str) -> str | None:
    """The kind of spreadsheet the upload is, when it is one the portal does not read."""
    head = data[:4096]
    if data.startswith(b"PK\x03\x04") and _zip_mimetype(data).startswith(
        b"application/vnd.oasis.opendocument.spreadsheet"
    ):
        return _("an OpenDocument spreadsheet (.ods)")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xml", b"<office:document")) and b"office:document" in head:
        return _("a flat OpenDocument spreadsheet (.fods)")
    is_text = b"\x00" not in head and not text.startswith((b"<", b"%PDF", b"PK"))
    # Text: a CSV by its name, or by its commas and lines.
    if is_text and (name.lower().endswith(".csv") or (b"," in head and b"\n" in head)):
        return _("a CSV text file")
    return None


def check_upload(data: bytes, name: str = "") -> None:
    """Refuse anything but a plain, reasonably sized xlsx, before any XML is parsed."""
    if not data:
        raise Refused(_("The file is empty."))
    if len(data) > settings.RETURN_UPLOAD_MAX_BYTES:
        raise Refused(_too_big())
    kind = _other_format(data, name)
    if kind:
        raise Refused(_save_as_xlsx(kind))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise Refused(
            _(
                "This is an old .xls workbook or a password-protected one. Save it as an Excel "
                "workbook (.xlsx) without a password and upload it again."
            )
        )
    not_xlsx = _(
        "This file is not an Excel workbook (.xlsx). Download the template, fill it in and "
        "upload it without changing its format."
    )
    if not data.startswith(b"PK\x03\x04"):
        raise Refused(not_xlsx)
    damaged = _("The workbook is damaged and cannot be read. Save it again in Excel and upload it.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Refused(damaged) from None
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise Refused(not_xlsx)
    bomb = _(
        "The workbook unpacks to more than %(limit)s, far more than a returns sheet needs. "
        "It was refused for safety."
    ) % {"limit": _size(settings.RETURN_UPLOAD_MAX_UNZIPPED_BYTES)}
    if len(members) > MAX_ZIP_MEMBERS:
        raise Refused(bomb)
    # zipfile never yields more than a member's declared size, so the declared sizes bound
    # what openpyxl can unpack.
    if sum(member.file_size for member in members) > settings.RETURN_UPLOAD_MAX_UNZIPPED_BYTES:
        raise Refused(bomb)
    for member in members:
        if member.flag_bits & 0x1:
            raise Refused(not_xlsx)
        if (
            member.file_size > RATIO_CHECKED_FROM_BYTES
            and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise Refused(
                _(
                    "The workbook is compressed far more than a spreadsheet can be (a zip "
                    "bomb). It was refused for safety."
                )
            )
    try:
        for member in members:
            if member.filename.endswith((".xml", ".rels", ".vml")) and _declares_dtd(
                archive, member
            ):
                raise Refused(
                    _(
                        "The workbook contains XML entity declarations (a DTD), which Excel "
                        "never writes. It was refused for safety."
                    )
                )
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError):
        raise Refused(damaged) from None


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            window = (tail + chunk).upper()
            if any(marker in window for marker in XML_MARKERS):
                return True
            tail = chunk[-32:]
    return False


# ---------- Gate 2: the sheet ----------


@dataclass
class Sheet:
    """The returns sheet as plain values: which column holds what, and the data rows."""

    columns: dict[str, int]  # column code (row 1) → 0-based index
    unknown: list[tuple[int, str]]  # (index, text) of columns nobody knows
    repeated: list[tuple[int, str]]  # (index, text) of a column code seen before
    rows: list[tuple[int, tuple]]  # (sheet row number, cell values)


def _text(value) -> str:
    """A cell's value as the text a form field expects; numbers without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _all_labels(key) -> set[str]:
    labels = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            labels.add(str(FIXED_LABELS[key]).casefold())
    return labels


def read_sheet(data: bytes) -> Sheet:
    """The returns sheet of an xlsx already past check_upload; Refused if unusable."""
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return _read_returns_sheet(workbook)
    except Refused:
        raise
    except Exception as error:
        # openpyxl raises many kinds of errors on malformed parts (and wraps defusedxml's in
        # a ValueError); whatever the file, the answer is a message, never a 500.
        if isinstance(error, DefusedXmlException) or isinstance(
            error.__cause__, DefusedXmlException
        ):
            raise Refused(
                _("The workbook contains XML entity declarations. It was refused for safety.")
            ) from None
        logger.info("unreadable workbook", exc_info=True)
        raise Refused(
            _("The workbook is damaged and cannot be read. Save it again in Excel and upload it.")
        ) from None
    finally:
        if workbook is not None:
            workbook.close()


def _header_row(worksheet) -> tuple[int, list[str]]:
    """(row number, texts) of the row of column codes: the first of the first
    HEADER_SEARCH_ROWS rows naming community_code, so that a title row or two typed above
    it does no harm."""
    rows = worksheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True)
    for number, values in enumerate(rows, start=1):
        header = [_text(value) for value in values]
        if any(text.casefold() == COMMUNITY for text in header):
            while header and not header[-1]:
                header.pop()
            return number, header
    raise Refused(
        _(
            "None of the first %(count)s rows of the “returns” sheet holds the column codes "
            "of the template (community_code, month, version and the indicator codes). Keep "
            "the template's row of codes above the figures, or copy the figures into a new "
            "template."
        )
        % {"count": HEADER_SEARCH_ROWS}
    )


def _read_returns_sheet(workbook) -> Sheet:
    if RETURNS_SHEET in workbook.sheetnames:
        worksheet = workbook[RETURNS_SHEET]
    else:
        sheets = [name for name in workbook.sheetnames if name != INDICATORS_SHEET]
        if not sheets:
            raise Refused(_("The workbook has no “returns” sheet."))
        worksheet = workbook[sheets[0]]
    header_row, header = _header_row(worksheet)
    if len(header) > MAX_COLUMNS:
        raise Refused(_("The sheet has more than %(count)s columns.") % {"count": MAX_COLUMNS})
    columns, unknown, repeated = {}, [], []
    for index, text in enumerate(header):
        if not text:
            continue
        # The fixed columns in any case; indicator codes exactly as in the catalogue.
        code = text.casefold() if text.casefold() in FIXED_LABELS else text
        if code in columns:
            repeated.append((index, text))
        else:
            columns[code] = index
    missing = [key for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        raise Refused(
            _(
                "The row of column codes (row %(row)s of the “returns” sheet) lacks the "
                "column(s) %(missing)s. Download a new template and copy the figures into it."
            )
            % {
                "row": header_row,
                "missing": ", ".join(f"{key} ({FIXED_LABELS[key]})" for key in missing),
            }
        )
    community_labels = _all_labels(COMMUNITY)
    rows, seen = [], 0
    width = len(header)
    for number, values in enumerate(
        worksheet.iter_rows(min_row=header_row + 1, max_col=width, values_only=True),
        start=header_row + 1,
    ):
        seen += 1
        if seen > MAX_SHEET_ROWS:
            raise Refused(
                _("The sheet has more than %(count)s rows; delete the empty rows below the data.")
                % {"count": MAX_SHEET_ROWS}
            )
        values = tuple(values) + (None,) * (width - len(values))
        if all(_text(value) == "" for value in values):
            continue
        if (
            number == header_row + 1
            and _text(values[columns[COMMUNITY]]).casefold() in community_labels
        ):
            continue  # the template's label row
        rows.append((number, values))
        if len(rows) > MAX_DATA_ROWS:
            raise Refused(
                _("The workbook has more than %(count)s rows of returns; split it.")
                % {"count": MAX_DATA_ROWS}
            )
    if not rows:
        raise Refused(_("The workbook has no rows of returns to import."))
    known = set(FIXED_LABELS)
    stems = {c: comment_stem(c) or c for c in columns if c not in known}
    indicator_codes = set(
        Indicator.objects.filter(code__in=set(stems.values())).values_list("code", flat=True)
    )
    for code, index in list(columns.items()):
        if code not in known and stems[code] not in indicator_codes:
            unknown.append((index, header[index]))
            del columns[code]
    return Sheet(columns=columns, unknown=sorted(unknown), repeated=repeated, rows=rows)


# ---------- Gate 3: every row ----------


@dataclass
class CheckedWorkbook:
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def error(self, row, column, field_label, message, *, indicator=None):
        error = {"row": row, "column": column, "field": str(field_label), "message": str(message)}
        if indicator is not None:
            error["indicator"] = indicator  # marks the cell in the preview
        self.errors.append(error)


def _version(value) -> int | None:
    text = _text(value)
    if text == "":
        return 0
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        return None
    return int(number)


def _period(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime | datetime.date):
        return datetime.date(value.year, value.month, 1)
    return parse_month(_text(value))


def not_a_number(text: str, indicator) -> str:
    """Why a typed figure is not a number, quoting it: "“1 968” contains a space …"."""
    whole = indicator.value_type == Indicator.ValueType.INTEGER
    quoted = {"value": text}
    if any(char.isspace() for char in text):
        return _(
            "“%(value)s” contains a space: type the figure without spaces, e.g. %(example)s."
        ) % {**quoted, "example": "".join(text.split())}
    if "," in text or "，" in text:
        return _(
            "“%(value)s” contains a comma: type the figure without thousands separators, "
            "e.g. %(example)s."
        ) % {**quoted, "example": text.replace(",", "").replace("，", "")}
    try:
        number = Decimal(text)
    except ArithmeticError:
        number = None
    if number is not None and number.is_finite() and whole:
        return _("“%(value)s” is not a whole number: %(indicator)s is counted in whole units.") % {
            **quoted,
            "indicator": indicator.local_name,
        }
    if any(char.isdigit() for char in text):
        return (
            _("“%(value)s” is not a number: type the figure alone, without a unit or other text.")
            % quoted
        )
    return _("“%(value)s” is not a number: type a figure, or leave the cell empty.") % quoted


def check_rows(sheet: Sheet, *, user, today: datetime.date | None = None) -> CheckedWorkbook:
    """Check every row as the entry page would; the queries do not grow with the rows.

    Queries: the communities, the returns and their stored values once; the indicators,
    rules and recent months once per month in the workbook.
    """
    today = today or timezone.localdate()
    result = CheckedWorkbook()
    letter = {index: get_column_letter(index + 1) for index in range(MAX_COLUMNS + 1)}
    cols = sheet.columns
    for index, text in sheet.repeated:
        result.error(
            1,
            letter[index],
            text,
            _("The column “%(code)s” appears twice. Delete one of the two.") % {"code": text},
        )
    for index, text in sheet.unknown:
        result.error(
            1,
            letter[index],
            text,
            _("Unknown column “%(code)s”: no indicator has this code. Delete the column.")
            % {"code": text},
        )

    codes = {_text(values[cols[COMMUNITY]]) for _number, values in sheet.rows}
    communities = {
        community.code: community
        for community in Community.objects.visible_to(user)
        .filter(code__in=codes)
        .select_related("township")
    }

    # First pass: who and when. Rows that fail here are not checked further.
    placed, first_row = [], {}
    for number, values in sheet.rows:
        code = _text(values[cols[COMMUNITY]])
        community = communities.get(code)
        ok = True
        if not code:
            result.error(
                number,
                letter[cols[COMMUNITY]],
                FIXED_LABELS[COMMUNITY],
                _("Enter the community code."),
            )
            ok = False
        elif community is None:
            result.error(
                number,
                letter[cols[COMMUNITY]],
                FIXED_LABELS[COMMUNITY],
                _("There is no community with the code “%(code)s” in your area.") % {"code": code},
            )
            ok = False
        period = _period(values[cols[MONTH]])
        if period is None:
            result.error(
                number,
                letter[cols[MONTH]],
                FIXED_LABELS[MONTH],
                _("Enter the month as YYYY-MM, for example 2026-10."),
            )
            ok = False
        elif period > month_start(today):
            result.error(
                number,
                letter[cols[MONTH]],
                FIXED_LABELS[MONTH],
                _("%(month)s has not begun yet.") % {"month": month_label(period)},
            )
            ok = False
        version = _version(values[cols[VERSION]])
        if version is None:
            result.error(
                number,
                letter[cols[VERSION]],
                FIXED_LABELS[VERSION],
                _("The version must be a whole number, as in the template. Do not change it."),
            )
            ok = False
        if not ok:
            continue
        key = (community.pk, period)
        if key in first_row:
            result.error(
                number,
                letter[cols[COMMUNITY]],
                FIXED_LABELS[COMMUNITY],
                _("%(community)s %(month)s is already on row %(row)s. Keep one row of the two.")
                % {
                    "community": community.local_name,
                    "month": month_label(period),
                    "row": first_row[key],
                },
            )
            continue
        first_row[key] = number
        placed.append((number, values, community, period, version))

    if not placed:
        return result

    # What is stored already, for all rows at once.
    community_ids = {community.pk for _n, _v, community, _p, _ver in placed}
    periods = {period for *_rest, period, _ver in placed}
    existing = {
        (r.community_id, r.period): r
        for r in MonthlyReturn.objects.filter(community_id__in=community_ids, period__in=periods)
    }
    stored = defaultdict(dict)
    for return_id, indicator_id, value, comment in ReturnValue.objects.filter(
        monthly_return__in=[r.pk for r in existing.values()]
    ).values_list("monthly_return_id", "indicator_id", "value", "comment"):
        stored[return_id][indicator_id] = (value, comment)

    months = {}
    for period in sorted(periods):
        indicators = active_indicators(period)
        ids = [c.pk for _n, _v, c, p, _ver in placed if p == period]
        months[period] = {
            "indicators": indicators,
            "rules": rules_among(indicators),
            "history": values_before(ids, period),
            # What the service records say, shown beside a typed figure that differs.
            "records": prefill_many(ids, period, codes=[i.code for i in indicators]),
        }

    header_codes = {c for c in cols if c not in FIXED_LABELS and comment_stem(c) is None}
    missing = {}
    for month in months.values():
        for indicator in month["indicators"]:
            if indicator.code not in header_codes:
                missing.setdefault(indicator.code, indicator)
    for indicator in missing.values():
        result.error(
            1,
            "",
            indicator.local_name,
            _(
                "The column of %(indicator)s (code %(code)s) is missing. Add it back from a new "
                "template."
            )
            % {"indicator": indicator.local_name, "code": indicator.code},
        )

    in_header = {i.code: i for i in Indicator.objects.filter(code__in=header_codes)}
    for number, values, community, period, version in placed:
        month = months[period]
        indicators = month["indicators"]
        active_codes = {indicator.code for indicator in indicators}
        for code in header_codes:
            if code not in active_codes and _text(values[cols[code]]):
                result.error(
                    number,
                    letter[cols[code]],
                    in_header[code].local_name,
                    _("This indicator is not collected for %(month)s: leave the cell empty.")
                    % {"month": month_label(period)},
                )
        monthly_return = existing.get((community.pk, period))
        saved = stored[monthly_return.pk] if monthly_return else {}
        stored_version = monthly_return.version if monthly_return else 0
        data = {"version": str(version)}
        commented = set()  # indicators whose comment column the workbook has
        for indicator in indicators:
            if indicator.code in cols:
                data[value_field_name(indicator)] = _text(values[cols[indicator.code]])
            if comment_code(indicator) in cols:
                commented.add(indicator.pk)
                text = unescape_text(_text(values[cols[comment_code(indicator)]]))
                data[comment_field_name(indicator)] = text
            else:
                data[comment_field_name(indicator)] = saved.get(indicator.pk, (None, ""))[1]
        history = month["history"]
        form = ReturnForm(
            data,
            indicators=indicators,
            rules=month["rules"],
            previous={i.pk: history[community.pk, i.pk][0] for i in indicators},
            recent={i.pk: history[community.pk, i.pk] for i in indicators},
        )
        by_field = {value_field_name(i): i for i in indicators}
        by_field.update({comment_field_name(i): i for i in indicators})

        def where(name, by_field=by_field):
            indicator = by_field.get(name)
            if name == "version":
                return letter[cols[VERSION]], FIXED_LABELS[VERSION]
            if indicator is None:
                return "", ""
            code = comment_code(indicator) if name.startswith("c_") else indicator.code
            return letter.get(cols.get(code, cols.get(indicator.code)), ""), indicator.local_name

        row = {
            "row": number,
            "community": community.pk,
            "code": community.code,
            "name": community.local_name,
            "period": month_label(period),
            "version": version,
            "values": {},
            "comments": {},
            "warnings": [],
            "unchanged": False,
            "records": {
                str(i.pk): format(figure, "f")
                for i in indicators
                if (figure := month["records"].get(community.pk, {}).get(i.code)) is not None
            },
        }
        if not form.is_valid():
            for name, errors in form.errors.as_data().items():
                column, label = where(name)
                indicator = by_field.get(name) if name.startswith("v_") else None
                for error in errors:
                    message = " ".join(error.messages)
                    if indicator is not None and error.code == "invalid":
                        message = not_a_number(data.get(name, ""), indicator)
                    result.error(
                        number, column, label, message, indicator=indicator and indicator.pk
                    )
            row["values"] = {
                str(i.pk): data.get(value_field_name(i)) or None
                for i in indicators
                if i.code in cols
            }
            result.rows.append(row)
            continue
        values_now = form.values()
        row["values"] = {
            str(pk): None if value is None else format(value, "f")
            for pk, value in values_now.items()
        }
        # A comment column left empty clears the comment; without the column, none changes.
        row["comments"] = {
            str(pk): text for pk, text in form.comments().items() if text or pk in commented
        }
        for name, message in form.warnings.items():
            column, label = where(name)
            row["warnings"].append({"column": column, "field": str(label), "message": message})
        row["unchanged"] = all(
            saved.get(pk, (None, ""))[0] == value for pk, value in values_now.items()
        ) and all(saved.get(int(pk), (None, ""))[1] == text for pk, text in row["comments"].items())
        if row["unchanged"]:
            pass  # nothing to save: neither the version nor the return's state matters
        elif version != stored_version:
            result.error(
                number,
                letter[cols[VERSION]],
                FIXED_LABELS[VERSION],
                _(
                    "This return was saved again after the workbook was made (version "
                    "%(stored)s, the workbook has %(version)s). Download a new template and "
                    "enter the figures there."
                )
                % {"stored": stored_version, "version": version},
            )
        else:
            candidate = monthly_return or MonthlyReturn(
                community=community, period=period, version=0
            )
            candidate.community = community
            refusal = edit_refusal(user, candidate, today=today)
            if refusal:
                result.error(number, "", "", refusal)
        result.rows.append(row)
    result.errors.sort(key=lambda e: (e["row"], len(e["column"]), e["column"]))
    return result


# ---------- The import: create, apply ----------


def return_import_create(*, upload, by, today=None) -> ReturnImport:
    """Check an uploaded workbook and keep its rows and errors for the preview.

    Raises Refused (nothing stored) when the file itself is unusable.
    Side effects: creates one ReturnImport, `previewed` without errors, else `rejected`.
    """
    if upload.size > settings.RETURN_UPLOAD_MAX_BYTES:
        raise Refused(_too_big())
    data = upload.read(settings.RETURN_UPLOAD_MAX_BYTES + 1)
    check_upload(data, upload.name or "")
    checked = check_rows(read_sheet(data), user=by, today=today)
    return ReturnImport.objects.create(
        uploaded_by=by,
        file_name=(upload.name or "")[:200],
        status=ReturnImport.Status.REJECTED if checked.errors else ReturnImport.Status.PREVIEWED,
        rows=checked.rows,
        errors=checked.errors,
    )


def return_import_apply(*, return_import, by, today=None) -> int:
    """Save every changed row of a checked import, all or nothing; the number saved.

    Side effects: for each row, domain.return_save (values, history, version, an IMPORTED
    event); the import becomes `applied`. If any row is refused (a stale version, a return
    locked since the check), nothing is saved, the import becomes `rejected` with the reason
    and Refused is raised.
    """
    try:
        with transaction.atomic():
            # The row lock makes a double-clicked confirmation apply once.
            locked = ReturnImport.objects.select_for_update().get(pk=return_import.pk)
            if locked.status != ReturnImport.Status.PREVIEWED or locked.errors:
                raise Refused(
                    _("This import cannot be confirmed: %(status)s.")
                    % {"status": locked.get_status_display()}
                )
            wanted = [row for row in locked.rows if not row["unchanged"]]
            communities = Community.objects.in_bulk({row["community"] for row in wanted})
            for row in wanted:
                community = communities.get(row["community"])
                try:
                    if community is None:
                        raise Refused(_("This return is outside your area."))
                    return_save(
                        community=community,
                        period=parse_month(row["period"]),
                        values={
                            int(pk): None if value is None else Decimal(value)
                            for pk, value in row["values"].items()
                        },
                        comments={int(pk): text for pk, text in row["comments"].items()},
                        version=row["version"],
                        by=by,
                        action=ReturnEvent.Action.IMPORTED,
                        today=today,
                    )
                except StaleReturn as stale:
                    # Not the entry page's "your figures are in the form below": the
                    # workbook is the clerk's copy, and nothing of it was saved.
                    raise Refused(
                        _(
                            "Row %(row)s (%(community)s, %(month)s): someone saved this return "
                            "after your workbook was checked. Nothing was imported. Your "
                            "workbook still holds your figures: download a new template, copy "
                            "your figures into it (compare them with the saved ones), and "
                            "upload it again."
                        )
                        % {
                            "row": row["row"],
                            "community": row["name"],
                            "month": row["period"],
                        }
                    ) from stale
                except Refused as refused:
                    raise Refused(
                        _(
                            "Row %(row)s (%(community)s, %(month)s): %(reason)s Nothing was "
                            "imported."
                        )
                        % {
                            "row": row["row"],
                            "community": row["name"],
                            "month": row["period"],
                            "reason": refused.message,
                        }
                    ) from refused
            locked.status = ReturnImport.Status.APPLIED
            locked.applied_at = timezone.now()
            locked.save(update_fields=["status", "applied_at"])
    except Refused as refused:
        if return_import.status == ReturnImport.Status.PREVIEWED:
            ReturnImport.objects.filter(
                pk=return_import.pk, status=ReturnImport.Status.PREVIEWED
            ).update(
                status=ReturnImport.Status.REJECTED,
                errors=[{"row": None, "column": "", "field": "", "message": refused.message}],
            )
        raise
    return len(wanted)


def cell_message(error: dict) -> str:
    """“Row 7, column F (居民人数): …”: where an error or warning is, then what it says."""
    where = {k: error.get(k) for k in ("row", "column", "field", "message")}
    if where["row"] and where["column"] and where["field"]:
        return _("Row %(row)s, column %(column)s (%(field)s): %(message)s") % where
    if where["row"] and where["field"]:
        return _("Row %(row)s (%(field)s): %(message)s") % where
    if where["row"]:
        return _("Row %(row)s: %(message)s") % where
    return where["message"]


def _preview_cell(row, indicator, marked) -> dict:
    """A figure of the preview: what was typed, its error, what the records say if it
    differs, and its comment."""
    key = str(indicator.pk)
    value = row["values"].get(key)
    records = row.get("records", {}).get(key)
    differs = False
    if records is not None:
        try:
            differs = value is None or Decimal(value) != Decimal(records)
        except ArithmeticError:
            differs = True
    return {
        "value": value,
        "error": marked.get((row["row"], indicator.pk), ""),
        "records": Decimal(records).normalize() if differs else None,
        "comment": row.get("comments", {}).get(key, ""),
    }


def import_preview(return_import) -> dict:
    """The import arranged for its page: indicator columns in catalogue order, rows, messages."""
    ids = {int(pk) for row in return_import.rows for pk in row["values"]}
    indicators = list(Indicator.objects.filter(pk__in=ids))
    marked = {
        (error["row"], error["indicator"]): error["message"]
        for error in return_import.errors
        if error.get("indicator")
    }
    rows = [
        {
            **row,
            "cells": [row["values"].get(str(indicator.pk)) for indicator in indicators],
            "columns": [_preview_cell(row, indicator, marked) for indicator in indicators],
        }
        for row in return_import.rows
    ]
    return {
        "indicators": indicators,
        "rows": rows,
        "errors": [cell_message(error) for error in return_import.errors],
        "warnings": [
            cell_message({**warning, "row": row["row"]})
            for row in rows
            for warning in row["warnings"]
        ],
        "changed_count": sum(not row["unchanged"] for row in rows),
        "unchanged_rows": [row["row"] for row in rows if row["unchanged"]],
    }
