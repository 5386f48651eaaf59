"""Writing CSV and XLSX files, with the one formula-escaping function of the portal.

Every cell the portal writes to a spreadsheet goes through `safe_cell`: a text that a
spreadsheet program would run as a formula (CSV or formula injection: a community renamed
`=HYPERLINK(...)`) is written with a leading apostrophe, so Excel, LibreOffice, WPS and
Gnumeric show it as the text it is. Numbers, dates and empty cells are written as they are.
`unescape_text` undoes it for text the portal reads back from its own template.

Every download is made here too: `csv_response` (in memory) and `csv_stream_response`
(streamed), `xlsx_response` (a workbook or its bytes), `xlsx_file_response` (a long table
written to a temporary file) and `xlsx_sheets_response` (several tables, a sheet each, written
the same way), each with its content type and the file name to save as.
"""

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from chunan_community.figures import cell_xlsx

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# A spreadsheet program runs a cell starting with one of these as a formula (OWASP's list;
# tab and carriage return because some programs drop them and read what follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so that Excel opens a CSV's Chinese as UTF-8


def safe_cell(value):
    """`value` as a spreadsheet cell: text that would run as a formula gets an apostrophe.

    None, numbers (int, float, Decimal, not bool) and dates stay as they are; anything else
    is written as its text.
    """
    if value is None or isinstance(value, datetime.date | datetime.time):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_text(text: str) -> str:
    """The text `safe_cell` was given, read back from a cell it wrote."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]


def _csv_text(value) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


class _Echo:
    """A file-like object whose write() hands back what it was given (Django's CSV recipe)."""

    def write(self, value):
        return value


def csv_chunks(header, lines):
    """The CSV as text pieces, every cell through safe_cell: a BOM first."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([_csv_text(cell) for cell in header])
    for line in lines:
        yield writer.writerow([_csv_text(cell) for cell in line])


def _download(response, filename: str):
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_response(filename: str, rows) -> HttpResponse:
    """A CSV download of `rows` (the first is the header), in memory."""
    rows = iter(rows)
    header = next(rows, [])
    return _download(
        HttpResponse("".join(csv_chunks(header, rows)), content_type=CSV_CONTENT_TYPE), filename
    )


def csv_stream_response(filename: str, header, lines) -> StreamingHttpResponse:
    """A CSV download streamed line by line: a long table never sits in memory whole."""
    return _download(
        StreamingHttpResponse(csv_chunks(header, lines), content_type=CSV_CONTENT_TYPE), filename
    )


def append_row(sheet, values) -> None:
    """Add a row to an openpyxl sheet (normal or write-only), every cell through safe_cell."""
    sheet.append(safe_row(values))


def table_workbook(lines, *, title: str, freeze: str):
    """A report's table (header first) on one sheet: numbers as numbers, shares as
    percentages (figures.cell_xlsx), the header and the label columns frozen at `freeze`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.freeze_panes = freeze
    for line in lines:
        cells = [cell_xlsx(value) for value in line]
        append_row(sheet, [value for value, _format in cells])
        for column, (_value, number_format) in enumerate(cells, start=1):
            if number_format:
                sheet.cell(row=sheet.max_row, column=column).number_format = number_format
    return workbook


def xlsx_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, workbook) -> HttpResponse:
    """An .xlsx download of an openpyxl workbook, or of the bytes of one."""
    content = workbook if isinstance(workbook, bytes) else xlsx_bytes(workbook)
    return _download(HttpResponse(content, content_type=XLSX_CONTENT_TYPE), filename)


def text_width(text: str) -> float:
    """Excel column width for a text: CJK characters take two units."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text) + 2


def xlsx_file(header, lines, *, title: str):
    """A long table as an .xlsx in a temporary file, in openpyxl's write-only mode."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for index, label in enumerate(header, start=1):
        width = max(10, min(text_width(str(label)), 24))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    append_row(sheet, header)
    for line in lines:
        append_row(sheet, line)
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(output)
    output.seek(0)
    return output


@dataclass
class Sheet:
    """One sheet of a workbook written by `xlsx_sheets_file`: a header and lines of cells
    (text, numbers, shares: figures.cell_xlsx), frozen at `freeze`; `lines` may be a
    generator, read once."""

    title: str
    header: list
    lines: Iterable
    freeze: str = "B2"


def _write_only_row(sheet, values) -> list:
    """A line for a write-only sheet: numbers as numbers, shares as percentages, dates as
    dates, every text through safe_cell (a cell with a number format is a WriteOnlyCell)."""
    row = []
    for original in values:
        if isinstance(original, datetime.date):  # a date, not its text
            value, number_format = original, "yyyy-mm-dd"
        else:
            value, number_format = cell_xlsx(original)
        value = safe_cell(value)
        if number_format:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            value = cell
        row.append(value)
    return row


def xlsx_sheets_file(sheets: Iterable[Sheet]):
    """Several tables, a sheet each, as an .xlsx in a temporary file, in openpyxl's
    write-only mode: a grid of thousands of rows never sits in memory as cells."""
    workbook = Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(spec.title[:31])
        for index, label in enumerate(spec.header, start=1):
            width = max(10, min(text_width(str(label)), 24))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = spec.freeze
        append_row(sheet, spec.header)
        for line in spec.lines:
            sheet.append(_write_only_row(sheet, line))
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(output)
    output.seek(0)
    return output


def xlsx_sheets_response(filename: str, sheets: Iterable[Sheet]) -> FileResponse:
    """Several tables as an .xlsx download, written by `xlsx_sheets_file`."""
    return FileResponse(
        xlsx_sheets_file(sheets),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_CONTENT_TYPE,
    )


def xlsx_file_response(filename: str, header, lines, *, title: str) -> FileResponse:
    """A long table as an .xlsx download, written by `xlsx_file` to a temporary file."""
    return FileResponse(
        xlsx_file(header, lines, title=title),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_CONTENT_TYPE,
    )
