"""A report as a document: a title, sections of paragraphs and tables, an issuing office and a
date. One structure, written three ways: on a page (templates/_document.html, printed on A4),
as a workbook (`document_workbook`: one sheet per section, numbers as numbers) and as a Word
document (`document_docx`: the layout of an official document, GB/T 9704).

A document is plain data, so it can be frozen: `to_data` gives JSON-safe data (a published
report keeps it), `Document.from_data` builds the same document back, figure for figure.

A table's cells are text, whole numbers, `Decimal`s, shares (`chunan_community.figures.Percent`)
or None (no figure, written "—" on a page and left empty in a workbook).
"""

import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import get_language
from docx import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from chunan_community.figures import Percent, cell_text, cell_xlsx
from chunan_community.spreadsheets import append_row, text_width

Value = str | int | Decimal | Percent | None

# Chinese section numbers of an official document: 一、二、… (up to 二十).
CHINESE_NUMBERS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (n from 1 to 99)."""
    tens, ones = divmod(n, 10)
    if not tens:
        return CHINESE_NUMBERS[ones - 1]
    return (
        (CHINESE_NUMBERS[tens - 1] if tens > 1 else "")
        + "十"
        + (CHINESE_NUMBERS[ones - 1] if ones else "")
    )


@dataclass
class Table:
    """Rows of cells under a header. The first `labels` columns name the row (text); the
    rest are figures. Rows whose index is in `strong` are totals (bold)."""

    title: str
    columns: list[str]
    rows: list[list[Value]]
    labels: int = 1
    strong: list[int] = field(default_factory=list)
    note: str = ""

    def text_rows(self) -> list[list[str]]:
        return [[cell_text(value) for value in row] for row in self.rows]


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Document:
    """A report: `title`, `number` (文号, may be empty), `issuer` and `date` (the issuing
    office and the date the document bears), `scope` (e.g. 淳安县, 千岛湖镇), sections, and
    `notes` printed under the last section (what the figures count, sample data)."""

    title: str
    issuer: str
    date: datetime.date
    sections: list[Section]
    number: str = ""
    scope: str = ""
    notes: list[str] = field(default_factory=list)
    has_sample: bool = False
    # The language it was written in: a Chinese document numbers its sections 一、二、 and
    # dates itself 2027年1月15日, an English one 1. 2. and 15 January 2027.
    language: str = field(default_factory=lambda: get_language() or settings.LANGUAGE_CODE)

    @property
    def is_chinese(self) -> bool:
        return self.language.startswith("zh")

    @property
    def lang(self) -> str:
        """The HTML language of its text: zh-Hans or en."""
        return "zh-Hans" if self.is_chinese else "en"

    @property
    def scope_line(self) -> str:
        """（淳安县） or (Chun'an County)."""
        return f"（{self.scope}）" if self.is_chinese else f"({self.scope})"

    @property
    def date_line(self) -> str:
        day = self.date
        if self.is_chinese:
            return f"{day.year}年{day.month}月{day.day}日"
        return f"{day.day} {day:%B} {day.year}"

    def section_labels(self) -> list[tuple[str, "Section"]]:
        """Each section with its numbered heading: 一、社区基本情况 or 1. The registry."""
        return [
            (
                f"{chinese_number(n)}、{section.heading}"
                if self.is_chinese
                else f"{n}. {section.heading}",
                section,
            )
            for n, section in enumerate(self.sections, start=1)
        ]

    @property
    def heading(self) -> str:
        """The title with the scope: 2026年度社区建设工作报告（淳安县）."""
        if not self.scope:
            return self.title
        return (
            f"{self.title}{self.scope_line}"
            if self.is_chinese
            else f"{self.title} {self.scope_line}"
        )

    def to_data(self) -> dict:
        return {
            "title": self.title,
            "issuer": self.issuer,
            "date": self.date.isoformat(),
            "number": self.number,
            "scope": self.scope,
            "notes": list(self.notes),
            "has_sample": self.has_sample,
            "language": self.language,
            "sections": [
                {
                    "heading": section.heading,
                    "paragraphs": list(section.paragraphs),
                    "tables": [
                        {
                            "title": table.title,
                            "columns": list(table.columns),
                            "rows": [[_value_data(v) for v in row] for row in table.rows],
                            "labels": table.labels,
                            "strong": list(table.strong),
                            "note": table.note,
                        }
                        for table in section.tables
                    ],
                }
                for section in self.sections
            ],
        }

    @classmethod
    def from_data(cls, data: dict) -> "Document":
        return cls(
            title=data["title"],
            issuer=data["issuer"],
            date=datetime.date.fromisoformat(data["date"]),
            number=data.get("number", ""),
            scope=data.get("scope", ""),
            notes=list(data.get("notes", [])),
            has_sample=data.get("has_sample", False),
            language=data.get("language", "zh-hans"),
            sections=[
                Section(
                    heading=section["heading"],
                    paragraphs=list(section["paragraphs"]),
                    tables=[
                        Table(
                            title=table["title"],
                            columns=list(table["columns"]),
                            rows=[[_value_of(v) for v in row] for row in table["rows"]],
                            labels=table.get("labels", 1),
                            strong=list(table.get("strong", [])),
                            note=table.get("note", ""),
                        )
                        for table in section["tables"]
                    ],
                )
                for section in data["sections"]
            ],
        )


def _value_data(value: Value):
    """A cell as JSON: text and whole numbers as they are, a Decimal as {"d": "12.50"} (never
    a float), a share as {"p": [done, of]}."""
    if (
        value is None
        or isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool))
    ):
        return value
    if isinstance(value, Decimal):
        return {"d": format(value, "f")}
    if isinstance(value, Percent):
        return {"p": [value.done, value.of]}
    raise TypeError(f"a document's cell cannot hold {type(value).__name__}")


def _value_of(data) -> Value:
    if isinstance(data, dict):
        if "d" in data:
            return Decimal(data["d"])
        return Percent(*data["p"])
    return data


# ---------------------------------------------------------------------------- workbook

SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(heading: str, n: int, used: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    base = SHEET_NAME_FORBIDDEN.sub(" ", f"{n} {heading}")[:31].strip() or str(n)
    title, k = base, 2
    while title.lower() in used:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(title.lower())
    return title


def document_workbook(document: Document) -> Workbook:
    """One sheet per section: the document's title, the section's heading and paragraphs,
    then each table (title, header, rows) with a blank row between tables. Numbers are
    numbers and shares percentages (figures.cell_xlsx); every text through safe_cell."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for n, (label, section) in enumerate(document.section_labels(), start=1):
        sheet = workbook.create_sheet(_sheet_title(section.heading, n, used))
        widths: dict[int, float] = {}
        append_row(sheet, [document.heading])
        sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
        append_row(sheet, [label])
        sheet.cell(row=2, column=1).font = bold
        for paragraph in section.paragraphs:
            append_row(sheet, [paragraph])
        for table in section.tables:
            append_row(sheet, [])
            append_row(sheet, [table.title])
            sheet.cell(row=sheet.max_row, column=1).font = bold
            append_row(sheet, table.columns)
            header_row = sheet.max_row
            for column, label in enumerate(table.columns, start=1):
                cell = sheet.cell(row=header_row, column=column)
                cell.font = bold
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[column] = max(widths.get(column, 8), min(text_width(str(label)), 30))
            for index, row in enumerate(table.rows):
                cells = [cell_xlsx(value) for value in row]
                append_row(sheet, [value for value, _format in cells])
                for column, (value, number_format) in enumerate(cells, start=1):
                    cell = sheet.cell(row=sheet.max_row, column=column)
                    if number_format:
                        cell.number_format = number_format
                    if index in table.strong:
                        cell.font = bold
                    if column <= table.labels and value is not None:
                        widths[column] = max(widths.get(column, 8), min(text_width(str(value)), 40))
            if table.note:
                append_row(sheet, [table.note])
        if section is document.sections[-1]:
            for note in document.notes:
                append_row(sheet, [])
                append_row(sheet, [note])
        append_row(sheet, [])
        append_row(sheet, [document.issuer, document.date.isoformat()])
        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = width
    if not workbook.sheetnames:
        workbook.create_sheet(_sheet_title(document.title, 1, used))
    return workbook


# ---------------------------------------------------------------------------- Word

# GB/T 9704-2012, the layout of Party and government documents: A4, margins 37 mm top,
# 35 mm bottom, 28 mm left, 26 mm right; the title in 小标宋 二号 (22 pt), headings of the
# first level in 黑体 三号 (16 pt), the body in 仿宋 三号 (16 pt). The fonts are named as
# Windows and WPS name them; a machine without them substitutes its own CJK font.
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"


def _font(run, east_asian: str, size: float, *, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _paragraph(
    doc,
    text: str,
    east_asian: str,
    size: float,
    *,
    align=None,
    bold=False,
    indent: bool = False,
    space_after: float = 0,
):
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    form = paragraph.paragraph_format
    form.space_after = Pt(space_after)
    form.space_before = Pt(0)
    if indent:
        form.first_line_indent = Pt(size * 2)  # two characters, as official text is indented
    _font(paragraph.add_run(text), east_asian, size, bold=bold)
    return paragraph


def _word_table(doc, table: Table) -> None:
    _paragraph(doc, table.title, HEADING_FONT, 12, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=4)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, label in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(label))
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(run, HEADING_FONT, 10.5, bold=True)
    for index, row in enumerate(table.rows):
        cells = grid.add_row().cells
        for column, (cell, value) in enumerate(zip(cells, row, strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if column < table.labels else WD_ALIGN_PARAGRAPH.RIGHT
            )
            _font(paragraph.add_run(cell_text(value)), TABLE_FONT, 10.5, bold=index in table.strong)
    if table.note:
        _paragraph(doc, table.note, TABLE_FONT, 10.5, space_after=6)
    else:
        _paragraph(doc, "", TABLE_FONT, 6)


def document_docx(document: Document) -> bytes:
    """The document as .docx, laid out as an official document: the number (文号) over the
    title, the sections numbered 一、二、…, their tables, the notes, then the issuing office
    and the date at the right."""
    doc = WordDocument()
    page = doc.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Mm(210), Mm(297)
    page.top_margin, page.bottom_margin = Mm(37), Mm(35)
    page.left_margin, page.right_margin = Mm(28), Mm(26)
    doc.core_properties.title = document.title
    doc.core_properties.author = document.issuer
    if document.number:
        _paragraph(
            doc, document.number, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12
        )
    _paragraph(doc, document.title, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    if document.scope:
        _paragraph(
            doc,
            document.scope_line,
            BODY_FONT,
            16,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            space_after=12,
        )
    for label, section in document.section_labels():
        _paragraph(doc, label, HEADING_FONT, 16, indent=True, space_after=4)
        for text in section.paragraphs:
            _paragraph(doc, text, BODY_FONT, 16, indent=True)
        for table in section.tables:
            _word_table(doc, table)
    for note in document.notes:
        _paragraph(doc, note, BODY_FONT, 12, indent=True)
    _paragraph(doc, "", BODY_FONT, 16)
    _paragraph(doc, document.issuer, BODY_FONT, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(
        doc,
        document.date_line,
        BODY_FONT,
        16,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
    )
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
