"""Hostile files at every upload of the portal: the returns workbook import, the evidence
of a declaration and an announcement's attachment (the portal's only three file fields).

One table of hostile files per upload, each posted through the portal as the user allowed to
upload: every one is refused with a clear message on the page (or, for a photo carrying HTML,
stored only as re-encoded pixels), the answer is never a 500, and nothing is stored: no row,
no file.

Covered elsewhere, not repeated here: for the returns import, tests/returns/test_excel.py
(`BAD_FILES`: empty, PNG, CSV, old .xls, plain zip, truncated, entity bombs, missing header;
the size limit, the unzipped limit with real data, the compression-ratio bomb, damaged XML);
for evidence, tests/ratings/test_uploads.py checks the same rules at the domain function
(EXIF and appended HTML removed, pixel bombs, zip-bomb .docx, the file limit).
"""

import datetime
import io
import struct
import zipfile
import zlib
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from chunan_community.months import add_months, month_start
from communities.models import Indicator, MonthlyReturn, ReturnImport, ReturnValue
from communities.returns.excel import template_workbook
from portal.models import Announcement
from ratings.models import Declaration, Evidence, RoundStatus
from tests.factories import make_indicator
from tests.html import error_summary_at_top, soup
from tests.ratings.factories import make_declaration, make_round

pytestmark = pytest.mark.django_db

PERIOD = add_months(month_start(timezone.localdate()), -1)
MB = 1024 * 1024

# ---------- Hostile files ----------

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"
    + b"\x00" * 50
    + b"This program cannot be run in DOS mode."
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def picture(fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_with_html() -> bytes:
    """A valid PNG carrying HTML twice: in a text chunk and after its end."""
    png = picture("PNG")
    end = png.rindex(b"IEND") - 4
    text = png_chunk(b"tEXt", b"Comment\x00" + HTML)
    return png[:end] + text + png[end:] + HTML


def jpeg_with_html() -> bytes:
    """A valid JPEG whose comment segment is an HTML page."""
    jpeg = picture("JPEG")
    comment = b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML
    return jpeg[:2] + comment + jpeg[2:]


def pixel_bomb() -> bytes:
    """A PNG of a few hundred bytes whose header declares 50,000 x 50,000 pixels."""
    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + png_chunk(b"IEND", b"")
    )


def workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "returns"
    book.active.append(["community_code", "month", "version"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {info.filename: archive.read(info) for info in archive.infolist()}


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    return zipped({**members_of(data), name: content})


def patched(data: bytes, name: str, *, flags: int | None = None, size: int | None = None):
    """The zip with one member's central-directory entry changed: its flags (bit 0: the
    member is encrypted) or its declared uncompressed size; the bytes are left alone."""
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == name.encode():
            if flags is not None:
                struct.pack_into("<H", data, at + 8, flags)
            if size is not None:
                struct.pack_into("<I", data, at + 24, size)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} is not in the zip")


SHEET = "xl/worksheets/sheet1.xml"
HOSTILE = {
    "exe": lambda: EXE,
    "text": lambda: "社区月报：居民人数 3000\n".encode(),
    "pdf": lambda: PDF,
    "html": lambda: HTML,
    "svg_with_script": lambda: SVG,
    "gif": lambda: picture("GIF"),
    "png_with_html": png_with_html,
    "pixel_bomb": pixel_bomb,
    "truncated_workbook": lambda: workbook()[: len(workbook()) // 2],
    "zip_without_workbook": lambda: zipped(
        {"[Content_Types].xml": b"<Types/>", "docProps/app.xml": b"<Properties/>"}
    ),
    "docx": lambda: zipped(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    ),
    # 300 MB declared by a file of a few KB: over both uploads' unzipped limits.
    "declared_size_bomb": lambda: patched(workbook(), SHEET, size=300 * MB),
    "ratio_bomb": lambda: with_member(workbook(), "xl/media/zeros.bin", b"\0" * (8 * MB)),
    "too_many_members": lambda: zipped(
        {**members_of(workbook()), **{f"xl/media/{n}.bin": b"" for n in range(2_001)}}
    ),
    "encrypted_member": lambda: patched(workbook(), SHEET, flags=0x1),
    "macros": lambda: with_member(workbook(), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro"),
    "nul_in_a_cell": lambda: with_member(
        workbook(),
        SHEET,
        members_of(workbook())[SHEET].replace(b"community_code", b"community_code&#0;"),
    ),
}


# ---------- The returns import ----------

NOT_XLSX = (
    "This file is not an Excel workbook (.xlsx). Download the template, fill it in and upload "
    "it without changing its format."
)
DAMAGED = "The workbook is damaged and cannot be read. Save it again in Excel and upload it."
UNPACKS = (
    "The workbook unpacks to more than 50 MB, far more than a returns sheet needs. "
    "It was refused for safety."
)

RETURNS_IMPORT = [
    ("exe", "returns.exe", NOT_XLSX),
    ("text", "returns.txt", NOT_XLSX),
    ("pdf", "returns.xlsx", NOT_XLSX),
    ("html", "returns.xlsx", NOT_XLSX),
    ("svg_with_script", "returns.svg", NOT_XLSX),
    ("png_with_html", "returns.xlsx", NOT_XLSX),
    ("pixel_bomb", "returns.xlsx", NOT_XLSX),
    ("zip_without_workbook", "returns.xlsx", NOT_XLSX),
    ("docx", "returns.xlsx", NOT_XLSX),
    ("declared_size_bomb", "returns.xlsx", UNPACKS),
    ("too_many_members", "returns.xlsx", UNPACKS),
    ("encrypted_member", "returns.xlsx", NOT_XLSX),
    ("nul_in_a_cell", "returns.xlsx", DAMAGED),
]


@pytest.fixture
def importer(lenient_client, users):
    lenient_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    lenient_client.force_login(users["clerk"])
    return lenient_client


def _import(client, data: bytes, name: str):
    return client.post(reverse("returns:import"), {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize(
    ("kind", "name", "message"), RETURNS_IMPORT, ids=[kind for kind, _n, _m in RETURNS_IMPORT]
)
def test_returns_import_refuses_hostile_file(importer, kind, name, message):
    response = _import(importer, HOSTILE[kind](), name)

    assert response.status_code == 200
    assert [str(error) for error in response.context["form"].errors["file"]] == [message]
    assert message in response.content.decode()
    assert (ReturnImport.objects.count(), MonthlyReturn.objects.count()) == (0, 0)


def test_returns_import_refuses_file_over_the_size_setting_before_reading_it(importer, settings):
    settings.RETURN_UPLOAD_MAX_BYTES = 1024

    response = _import(importer, EXE + b"\0" * 2048, "returns.xlsx")

    assert [str(error) for error in response.context["form"].errors["file"]] == [
        "The file is larger than 1 KB. Upload the returns sheet on its own."
    ]
    assert ReturnImport.objects.count() == 0


def test_returns_import_without_a_file_asks_for_one(importer):
    response = importer.post(reverse("returns:import"), {"file": "not a file"})

    assert response.status_code == 200
    assert [str(e) for e in response.context["form"].errors["file"]] == ["This field is required."]
    assert ReturnImport.objects.count() == 0


# Generated figures in a real template: whatever the cells hold, the import answers with a
# preview (its rows and errors) and never a 500; a workbook without errors, once confirmed,
# stores exactly its figures.

CELL = st.one_of(
    st.none(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**13), max_value=10**13, places=2, allow_nan=False),
    st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=30),
    st.sampled_from(["", " 12 ", "1e400", "\uff11\uff12", "-0", "12.345", "=1+1", "2026-13"]),
    st.dates(datetime.date(1900, 1, 1), datetime.date(9999, 12, 31)),
)


@pytest.fixture
def template(users, tree):
    make_indicator(code="households", name="户数", name_en="Households")
    make_indicator(
        code="funds",
        name="共建资金",
        name_en="Funds",
        value_type="decimal",
        maximum=Decimal(1_000_000),
        required=False,
    )
    return template_workbook(communities=[tree["home"]], period=PERIOD)


def _filled(template: bytes, cells: dict) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["returns"]
    header = [cell.value for cell in sheet[1]]
    for code, value in cells.items():
        sheet.cell(3, header.index(code) + 1, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_returns_import_of_generated_cells_previews_or_lists_errors(importer, template):
    outcomes = set()

    @hypothesis_settings(hypothesis_settings.get_profile("security"))
    @given(
        cells=st.fixed_dictionaries(
            {},
            optional={
                "households": CELL | st.integers(0, 100_000),
                "funds": CELL | st.decimals(0, 1_000_000, places=2),
                "version": CELL,
                "month": CELL,
                "community_code": CELL | st.just("far"),
            },
        )
    )
    def upload(cells):
        with transaction.atomic():
            response = _import(importer, _filled(template, cells), "returns.xlsx")
            assert response.status_code in (200, 302), response.status_code
            if response.status_code == 200:
                # The whole file refused: the page says why; nothing kept.
                assert response.context["form"].errors["file"]
                assert ReturnImport.objects.count() == 0
                outcomes.add("refused")
                transaction.set_rollback(True)
                return
            checked = ReturnImport.objects.get()
            preview = importer.get(response.url)
            assert preview.status_code == 200
            if checked.errors:
                outcomes.add("errors")
            else:
                confirmed = importer.post(response.url)
                assert confirmed.status_code == 302
                checked.refresh_from_db()
                saved = dict(
                    ReturnValue.objects.filter(monthly_return__period=PERIOD).values_list(
                        "indicator__code", "value"
                    )
                )
                row = checked.rows[0]
                assert checked.status == ReturnImport.Status.APPLIED
                assert {code: value for code, value in saved.items() if value is not None} == {
                    indicator.code: Decimal(row["values"][str(indicator.pk)])
                    for indicator in Indicator.objects.all()
                    if row["values"].get(str(indicator.pk)) is not None
                }
                outcomes.add("imported")
            transaction.set_rollback(True)

    upload()

    assert {"errors", "imported"} <= outcomes, outcomes


# ---------- Evidence of a declaration ----------

NOT_ALLOWED = (
    "This kind of file cannot be added. Allowed are photos (JPEG, PNG, WebP) and documents "
    "(PDF, Word .docx, Excel .xlsx)."
)
DOCUMENT_DAMAGED = "The document is damaged and cannot be read. Save it again and upload it."
DOCUMENT_BOMB = (
    "The document unpacks to far more than a document needs (a zip bomb). "
    "It was refused for safety."
)
TOO_MANY_PIXELS = (
    "The picture has more than 40 million pixels. Make it smaller (a few million pixels are "
    "plenty) and upload it again."
)

EVIDENCE = [
    ("exe", "setup.exe", NOT_ALLOWED),
    ("exe", "report.pdf", NOT_ALLOWED),
    ("text", "notes.txt", NOT_ALLOWED),
    ("html", "photo.jpg", NOT_ALLOWED),
    ("svg_with_script", "logo.svg", NOT_ALLOWED),
    ("gif", "photo.gif", NOT_ALLOWED),
    ("pixel_bomb", "photo.png", TOO_MANY_PIXELS),
    ("truncated_workbook", "table.xlsx", DOCUMENT_DAMAGED),
    ("zip_without_workbook", "table.xlsx", NOT_ALLOWED),
    ("declared_size_bomb", "table.xlsx", DOCUMENT_BOMB),
    ("ratio_bomb", "table.xlsx", DOCUMENT_BOMB),
    ("too_many_members", "table.xlsx", DOCUMENT_BOMB),
    (
        "encrypted_member",
        "table.xlsx",
        "Password-protected documents cannot be added. Remove the password first.",
    ),
    (
        "macros",
        "table.xlsx",
        "Documents with macros cannot be added. Save it as a plain .docx or .xlsx.",
    ),
]


@pytest.fixture
def draft(tree):
    round_ = make_round(code="r-evidence", status=RoundStatus.DECLARATIONS_OPEN)
    return make_declaration(round=round_, community=tree["home"], status=Declaration.Status.DRAFT)


@pytest.fixture
def uploader(lenient_client, users):
    lenient_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    lenient_client.force_login(users["clerk"])
    return lenient_client


def _stored_files(storage, path="") -> list[str]:
    folders, files = storage.listdir(path)
    found = [f"{path}{name}" for name in files]
    for folder in folders:
        found += _stored_files(storage, f"{path}{folder}/")
    return found


def _add_evidence(client, declaration, data: bytes, name: str, caption="门口照片"):
    return client.post(
        reverse("ratings:evidence_add", kwargs={"declaration": declaration.pk}),
        {"file": SimpleUploadedFile(name, data), "caption": caption},
    )


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _refusal(response) -> list[tuple[str | None, str]]:
    """A refused upload: the declaration page again (400), the reason summed up at its top."""
    assert response.status_code == 400
    return error_summary_at_top(response)


@pytest.mark.parametrize(
    ("kind", "name", "message"), EVIDENCE, ids=[f"{kind}-{name}" for kind, name, _m in EVIDENCE]
)
def test_evidence_refuses_hostile_file(uploader, draft, kind, name, message):
    storage = Evidence.file.field.storage
    files_before = _stored_files(storage)

    response = _add_evidence(uploader, draft, HOSTILE[kind](), name)

    assert _refusal(response) == [("#id_evidence_file", f"File: {message}")]
    assert Evidence.objects.count() == 0
    assert _stored_files(storage) == files_before


def test_evidence_refuses_file_over_the_size_setting(uploader, draft, settings):
    settings.EVIDENCE_MAX_BYTES = 1024

    response = _add_evidence(uploader, draft, PDF + b"0" * 2048, "big.pdf")

    assert _refusal(response) == [
        (
            "#id_evidence_file",
            "File: The file is larger than 1 KB. Make it smaller and upload it again.",
        )
    ]
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize("post", [{}, {"file": "not a file"}, {"file": ""}], ids=str)
def test_evidence_without_a_file_asks_for_one(uploader, draft, post):
    response = uploader.post(
        reverse("ratings:evidence_add", kwargs={"declaration": draft.pk}), post
    )

    assert [href for href, _text in _refusal(response)] == ["#id_evidence_file"]
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize("kind", ["png_with_html", "jpeg_with_html"])
def test_evidence_photo_carrying_html_is_stored_as_pixels_only(uploader, draft, kind):
    data = png_with_html() if kind == "png_with_html" else jpeg_with_html()

    response = _add_evidence(uploader, draft, data, "photo.html")

    assert _messages(response) == [("success", "“photo.html” is added to the evidence.")]
    evidence = Evidence.objects.get()
    with evidence.file.open("rb") as handle:
        stored = handle.read()
    served = uploader.get(reverse("ratings:evidence_file", kwargs={"pk": evidence.pk}))
    assert (evidence.kind, b"<script" in stored, b"<html" in stored.lower()) == (
        "image",
        False,
        False,
    )
    assert Image.open(io.BytesIO(stored)).size == (64, 48)
    assert (
        served["Content-Type"],
        served["X-Content-Type-Options"],
        served["Content-Security-Policy"],
    ) == (evidence.content_type, "nosniff", "default-src 'none'; sandbox")


# ---------- An announcement's attachment ----------

# The attachment is checked by the same rules as evidence (chunan_community.uploads): the
# same table of hostile files, refused on the form with the same messages.


@pytest.fixture
def announcer(lenient_client, users):
    lenient_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    lenient_client.force_login(users["county"])
    return lenient_client


def _announce(client, data: bytes, name: str):
    return client.post(
        reverse("portal:manage_announcement_new"),
        {
            "title": "关于开展社区走访的通知",
            "published_on": timezone.localdate().isoformat(),
            "body": "见附件。",
            "attachment": SimpleUploadedFile(name, data),
        },
    )


@pytest.mark.parametrize(
    ("kind", "name", "message"), EVIDENCE, ids=[f"{kind}-{name}" for kind, name, _m in EVIDENCE]
)
def test_announcement_refuses_hostile_attachment(announcer, kind, name, message):
    storage = Announcement.attachment.field.storage
    files_before = _stored_files(storage)

    response = _announce(announcer, HOSTILE[kind](), name)

    summary = [a.text for a in soup(response).select("#error-summary a")]
    assert (response.status_code, summary) == (400, [f"Attachment (optional): {message}"])
    assert Announcement.objects.count() == 0
    assert _stored_files(storage) == files_before


@pytest.mark.parametrize("kind", ["png_with_html", "jpeg_with_html"])
def test_announcement_picture_carrying_html_is_stored_as_pixels_only(announcer, kind):
    data = png_with_html() if kind == "png_with_html" else jpeg_with_html()

    response = _announce(announcer, data, "photo.html")

    announcement = Announcement.objects.get()
    with announcement.attachment.open("rb") as handle:
        stored = handle.read()
    served = announcer.get(reverse("portal:announcement_file", kwargs={"pk": announcement.pk}))
    assert response.status_code == 302
    assert (b"<script" in stored, b"<html" in stored.lower()) == (False, False)
    assert Image.open(io.BytesIO(stored)).size == (64, 48)
    assert (
        served["Content-Type"],
        served["Content-Disposition"].split(";")[0],
        served["X-Content-Type-Options"],
        served["Content-Security-Policy"],
    ) == (announcement.attachment_type, "attachment", "nosniff", "default-src 'none'; sandbox")
