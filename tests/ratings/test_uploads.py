import io
import stat
import struct
import zipfile
import zlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image

from chunan_community.errors import Refused
from chunan_community.uploads import DOCX
from communities.models import Role
from ratings import uploads
from ratings.models import Declaration, Evidence, RoundStatus
from tests.factories import make_user
from tests.html import error_summary_at_top, soup
from tests.ratings.factories import make_assignment, make_declaration, make_round

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def draft(tree):
    round_ = make_round(code="r2026", status=RoundStatus.DECLARATIONS_OPEN)
    return make_declaration(round=round_, community=tree["home"], status=Declaration.Status.DRAFT)


def jpeg_with_exif(size=(800, 600)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0132] = "2026:01:02 03:04:05"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (29.0, 36.0, 10.0)})
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_with_alpha(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (0, 128, 0, 100)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document/>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def add(declaration, data, name="photo.jpg", by=None, caption="门口"):
    return uploads.evidence_add(
        declaration=declaration, upload=upload(data, name), caption=caption, by=by
    )


def stored(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def refusal(declaration, data, name, by) -> str:
    with pytest.raises(Refused) as refused:
        add(declaration, data, name, by=by)
    return refused.value.message


# ---------- Photos ----------


def test_evidence_add_jpeg_reencoded_without_exif_with_thumbnail(draft, users):
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()[0x010F] == "SecretCam"

    evidence = add(draft, original, name="IMG_0001.JPG", by=users["clerk"])

    content = stored(evidence.file)
    image = Image.open(io.BytesIO(content))
    thumbnail = Image.open(io.BytesIO(stored(evidence.thumbnail)))
    assert (image.format, image.size, dict(image.getexif()), "exif" in image.info) == (
        "JPEG",
        (800, 600),
        {},
        False,
    )
    assert b"SecretCam" not in content
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 240))
    assert (evidence.kind, evidence.content_type, evidence.size, evidence.original_name) == (
        "image",
        "image/jpeg",
        len(content),
        "IMG_0001.JPG",
    )
    assert evidence.file.name.startswith("evidence/r2026/")
    assert "IMG_0001" not in evidence.file.name
    assert evidence.caption == "门口"


def test_evidence_add_png_with_alpha_stays_png(draft, users):
    evidence = add(draft, png_with_alpha(), name="logo.png", by=users["clerk"])

    image = Image.open(io.BytesIO(stored(evidence.file)))
    assert (evidence.content_type, image.format, image.mode, image.getpixel((0, 0))) == (
        "image/png",
        "PNG",
        "RGBA",
        (0, 128, 0, 100),
    )


def test_evidence_add_html_appended_to_jpeg_is_gone(draft, users):
    payload = b"<html><script>alert(document.cookie)</script></html>"

    evidence = add(draft, jpeg_with_exif() + payload, by=users["clerk"])

    content = stored(evidence.file)
    assert b"<script>" not in content
    assert content.endswith(b"\xff\xd9")


def test_evidence_add_png_named_pdf_stored_as_image(draft, users):
    evidence = add(draft, png_with_alpha(), name="report.pdf", by=users["clerk"])

    assert (evidence.kind, evidence.content_type) == ("image", "image/png")
    assert uploads.download_name(evidence) == "report.png"


def test_evidence_add_text_named_jpg_refused(draft, users):
    message = refusal(draft, b"just some text, not a photo", "photo.jpg", users["clerk"])

    assert message == (
        "This kind of file cannot be added. Allowed are photos (JPEG, PNG, WebP) and "
        "documents (PDF, Word .docx, Excel .xlsx)."
    )
    assert Evidence.objects.count() == 0


def test_evidence_add_truncated_jpeg_refused(draft, users):
    message = refusal(draft, jpeg_with_exif()[:300], "photo.jpg", users["clerk"])

    assert message == (
        "The picture is damaged or incomplete and cannot be read. Save it again and upload it."
    )


def png_header_only(width, height) -> bytes:
    """A PNG whose header claims width x height pixels, with hardly any data after it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


def test_evidence_add_pixel_bomb_refused(draft, users):
    bomb = png_header_only(50_000, 50_000)

    message = refusal(draft, bomb, "bomb.png", users["clerk"])

    assert message == (
        "The picture has more than 40 million pixels. Make it smaller "
        "(a few million pixels are plenty) and upload it again."
    )


def test_evidence_add_over_pixel_setting_refused(draft, users, settings):
    settings.EVIDENCE_MAX_PIXELS = 100_000

    message = refusal(draft, jpeg_with_exif(size=(400, 300)), "photo.jpg", users["clerk"])

    assert message.startswith("The picture has more than 0.1 million pixels.")


def test_evidence_add_too_big_refused(draft, users, settings):
    settings.EVIDENCE_MAX_BYTES = 1024

    message = refusal(draft, pdf() + b"0" * 1024, "big.pdf", users["clerk"])

    assert message == "The file is larger than 1 KB. Make it smaller and upload it again."


def test_evidence_add_empty_refused(draft, users):
    assert refusal(draft, b"", "empty.pdf", users["clerk"]) == "The file is empty."


# ---------- Documents ----------


def test_evidence_add_pdf_stored_as_is(draft, users):
    evidence = add(draft, pdf(), name="../../etc/自评报告\x00.pdf", by=users["clerk"])

    assert (evidence.kind, evidence.content_type, stored(evidence.file)) == (
        "document",
        "application/pdf",
        pdf(),
    )
    assert evidence.original_name == "自评报告.pdf"
    assert not evidence.thumbnail


def test_evidence_add_docx_accepted(draft, users):
    evidence = add(draft, docx(), name="材料.docx", by=users["clerk"])

    assert (evidence.kind, evidence.content_type) == ("document", DOCX)


def test_evidence_add_zip_bomb_docx_refused(draft, users):
    message = refusal(
        draft, docx({"word/media/x.bin": b"\0" * 5_000_000}), "bomb.docx", users["clerk"]
    )

    assert message == (
        "The document unpacks to far more than a document needs (a zip bomb). "
        "It was refused for safety."
    )


def test_evidence_add_plain_zip_refused(draft, users):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    message = refusal(draft, buffer.getvalue(), "files.docx", users["clerk"])

    assert message.startswith("This kind of file cannot be added.")


# ---------- Rules ----------


def test_evidence_add_submitted_declaration_refused(draft, users):
    draft.status = Declaration.Status.SUBMITTED
    draft.save()

    message = refusal(draft, pdf(), "a.pdf", users["clerk"])

    assert message == (
        "This declaration is submitted: its evidence is locked. "
        "Withdraw it first to add or remove files."
    )


def test_evidence_add_declarations_closed_refused(draft, users):
    draft.round.status = RoundStatus.REVIEW
    draft.round.save()

    message = refusal(draft, pdf(), "a.pdf", users["clerk"])

    assert message == (
        "Declarations for this round are closed; the round is at “Review meeting: scoring”."
    )


def test_evidence_add_other_clerk_refused(draft, users):
    message = refusal(draft, pdf(), "a.pdf", users["other_clerk"])

    assert message == "A declaration is made by the community's clerk or by county staff."


def test_evidence_add_max_files(draft, users, settings):
    settings.EVIDENCE_MAX_FILES = 2
    add(draft, pdf(), "1.pdf", by=users["clerk"])
    add(draft, pdf(), "2.pdf", by=users["county"])

    message = refusal(draft, pdf(), "3.pdf", users["clerk"])

    assert message == "A declaration holds at most 2 files. Remove one first."
    assert draft.evidence.count() == 2


def test_evidence_remove_deletes_files(draft, users, django_capture_on_commit_callbacks):
    evidence = add(draft, jpeg_with_exif(), by=users["clerk"])
    storage = Evidence.file.field.storage
    names = [evidence.file.name, evidence.thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        uploads.evidence_remove(evidence=evidence, by=users["clerk"])

    assert Evidence.objects.count() == 0
    assert [storage.exists(name) for name in names] == [False, False]


def test_evidence_remove_submitted_refused(draft, users):
    evidence = add(draft, pdf(), "a.pdf", by=users["clerk"])
    Declaration.objects.filter(pk=draft.pk).update(status=Declaration.Status.SUBMITTED)

    with pytest.raises(Refused):
        uploads.evidence_remove(evidence=evidence, by=users["clerk"])

    assert Evidence.objects.count() == 1


# ---------- Views ----------


@pytest.fixture
def en_client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _file_url(evidence, name="ratings:evidence_file"):
    return reverse(name, kwargs={"pk": evidence.pk})


def _declaration_url():
    return reverse("ratings:declaration_edit", kwargs={"code": "r2026", "community": "home"})


def test_evidence_upload_page_clerk_adds_and_sees_it(en_client, draft, users):
    en_client.force_login(users["clerk"])

    response = en_client.post(
        reverse("ratings:evidence_add", kwargs={"declaration": draft.pk}),
        {"file": upload(pdf(), "自评.pdf"), "caption": "自评报告"},
    )

    assert (response.status_code, response.url) == (302, _declaration_url() + "#evidence-files")
    evidence = Evidence.objects.get()
    page = en_client.get(_declaration_url()).content.decode()
    assert _file_url(evidence) in page
    assert "自评报告" in page
    assert reverse("ratings:evidence_remove", kwargs={"pk": evidence.pk}) in page


def test_evidence_upload_page_submitted_shows_message(en_client, draft, users):
    draft.status = Declaration.Status.SUBMITTED
    draft.save()
    en_client.force_login(users["clerk"])

    response = en_client.post(
        reverse("ratings:evidence_add", kwargs={"declaration": draft.pk}),
        {"file": upload(pdf(), "a.pdf")},
    )

    assert response.status_code == 400
    assert error_summary_at_top(response) == [
        (
            None,
            "This declaration is submitted: its evidence is locked. "
            "Withdraw it first to add or remove files.",
        )
    ]
    assert 'id="evidence-upload"' not in response.content.decode()
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"file": upload(b"just some text", "photo.jpg")}, "This kind of file cannot be added."),
        ({"caption": "门口"}, "Choose the file to add."),
    ],
    ids=["not-a-photo", "no-file"],
)
def test_evidence_upload_refused_is_summed_up_at_the_top(en_client, draft, users, data, error):
    en_client.force_login(users["clerk"])

    response = en_client.post(
        reverse("ratings:evidence_add", kwargs={"declaration": draft.pk}), data
    )

    assert response.status_code == 400
    [(href, text)] = error_summary_at_top(response)
    assert (href, text.startswith(f"File: {error}")) == ("#id_evidence_file", True)
    page = soup(response)
    assert page.select_one("#id_evidence_file")["aria-invalid"] == "true"
    # The declaration form on the page still posts to the declaration, not to the upload.
    assert page.select_one("form:has(#id_target_tier_0)")["action"] == _declaration_url()
    assert Evidence.objects.count() == 0


@pytest.mark.parametrize("role", ["other_clerk", "township", "judge"])
def test_evidence_upload_page_wrong_user_404(client, draft, users, role):
    client.force_login(users[role])

    response = client.post(
        reverse("ratings:evidence_add", kwargs={"declaration": draft.pk}),
        {"file": upload(pdf(), "a.pdf")},
    )

    assert response.status_code == 404
    assert Evidence.objects.count() == 0


def test_evidence_remove_page_clerk_removes(client, draft, users):
    evidence = add(draft, pdf(), "a.pdf", by=users["clerk"])
    client.force_login(users["clerk"])

    response = client.post(_file_url(evidence, "ratings:evidence_remove"))

    assert (response.status_code, Evidence.objects.count()) == (302, 0)


def test_evidence_remove_page_other_clerk_404(client, draft, users):
    evidence = add(draft, pdf(), "a.pdf", by=users["clerk"])
    client.force_login(users["other_clerk"])

    response = client.post(_file_url(evidence, "ratings:evidence_remove"))

    assert (response.status_code, Evidence.objects.count()) == (404, 1)


def test_evidence_file_pdf_served_as_attachment(client, draft, users):
    evidence = add(draft, pdf(), "自评 报告.pdf", by=users["clerk"])
    client.force_login(users["clerk"])

    response = client.get(_file_url(evidence))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="evidence-{evidence.pk}.pdf"; '
        "filename*=UTF-8''%E8%87%AA%E8%AF%84%20%E6%8A%A5%E5%91%8A.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_evidence_thumbnail_served_inline(client, draft, users):
    evidence = add(draft, jpeg_with_exif(), "photo.jpg", by=users["clerk"])
    client.force_login(users["clerk"])

    response = client.get(_file_url(evidence, "ratings:evidence_thumbnail"))

    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (response["Content-Type"], image.size) == ("image/jpeg", (320, 240))
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_evidence_thumbnail_of_document_404(client, draft, users):
    evidence = add(draft, pdf(), "a.pdf", by=users["clerk"])
    client.force_login(users["clerk"])

    assert client.get(_file_url(evidence, "ratings:evidence_thumbnail")).status_code == 404


@pytest.fixture
def submitted_evidence(draft, users):
    evidence = add(draft, pdf(), "a.pdf", by=users["clerk"])
    Declaration.objects.filter(pk=draft.pk).update(status=Declaration.Status.SUBMITTED)
    make_assignment(round=draft.round, judge=users["judge"])
    return evidence


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("clerk", 200),
        ("county", 200),
        ("township", 200),
        ("judge", 200),
        ("other_clerk", 404),
        ("other_township", 404),
        ("unassigned_judge", 404),
        ("no_role", 404),
    ],
)
def test_evidence_file_permissions(client, submitted_evidence, users, role, status):
    if role == "unassigned_judge":
        user = make_user(Role.JUDGE)
        make_assignment(round=make_round(), judge=user)
    else:
        user = users[role]
    client.force_login(user)

    response = client.get(_file_url(submitted_evidence))

    assert response.status_code == status


def test_evidence_file_anonymous_sent_to_login(client, submitted_evidence):
    response = client.get(_file_url(submitted_evidence))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_evidence_file_judge_not_for_draft(client, draft, users):
    evidence = add(draft, pdf(), "a.pdf", by=users["clerk"])
    make_assignment(round=draft.round, judge=users["judge"])
    client.force_login(users["judge"])

    assert client.get(_file_url(evidence)).status_code == 404


def test_judging_sheet_lists_evidence(client, submitted_evidence, users):
    submitted_evidence.declaration.round.status = RoundStatus.REVIEW
    submitted_evidence.declaration.round.save()
    client.force_login(users["judge"])

    page = client.get(
        reverse("ratings:judging_sheet", kwargs={"code": "r2026", "community": "home"})
    ).content.decode()

    assert _file_url(submitted_evidence) in page
    assert reverse("ratings:evidence_remove", kwargs={"pk": submitted_evidence.pk}) not in page


def test_evidence_add_pixel_bomb_within_pillow_limit_refused(draft, users):
    # Under Pillow's own limit, over ours: refused from the header, before decoding.
    message = refusal(draft, png_header_only(8_000, 8_000), "big.png", users["clerk"])

    assert message.startswith("The picture has more than 40 million pixels.")


def test_evidence_files_on_disk_are_the_owners_only(tmp_path, draft, users):
    """Evidence holds personal data: the files 0600, the folders made for them 0700, as the
    secret key and the backups (the suite otherwise keeps uploads in memory)."""
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    with override_settings(MEDIA_ROOT=tmp_path / "media", STORAGES=storages):
        evidence = add(draft, jpeg_with_exif(), by=users["clerk"])

    root = tmp_path / "media"
    files = {evidence.file.name, evidence.thumbnail.name}
    modes = {
        path.relative_to(root).as_posix(): stat.S_IMODE(path.stat().st_mode)
        for path in root.rglob("*")
    }
    assert {name: mode for name, mode in modes.items() if name in files} == dict.fromkeys(
        files, 0o600
    )
    assert {mode for name, mode in modes.items() if name not in files} == {0o700}
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
