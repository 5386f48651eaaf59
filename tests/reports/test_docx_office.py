"""The .docx reports open in LibreOffice: each is converted headless (as `make office`
installs it) and its text holds the report's title, document number, headings and figures."""

import datetime
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest
import time_machine

from chunan_community.documents import Document, Section, Table, document_docx
from chunan_community.figures import Percent

SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def office_text(docx: bytes, tmp_path) -> str:
    """The document as LibreOffice reads it, as plain text."""
    source = tmp_path / "report.docx"
    source.write_bytes(docx)
    # A profile of its own: two conversions at once (pytest-xdist) must not share one.
    profile = tmp_path / f"profile-{uuid.uuid4().hex}"
    subprocess.run(  # noqa: S603 (LibreOffice, fixed arguments, our own file)
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (tmp_path / "report.txt").read_text(encoding="utf-8-sig")


def test_libreoffice_reads_the_figures_of_a_document(tmp_path):
    document = Document(
        title="2026年度淳安县社区建设工作报告",
        issuer="淳安县民政局",
        date=datetime.date(2027, 1, 15),
        number="淳民〔2027〕3号",
        sections=[
            Section(
                "社区基本情况",
                ["全县共有社区10个。"],
                [
                    Table(
                        "表1 各乡镇社区",
                        ["乡镇", "社区数", "户数", "上报率"],
                        [
                            ["千岛湖镇", 8, Decimal("12345.5"), Percent(2, 3)],
                            ["合计", 10, Decimal("20001"), Percent(9, 10)],
                        ],
                        strong=[1],
                    )
                ],
            )
        ],
        notes=["示例数据，不是正式统计数字。"],
    )
    text = office_text(document_docx(document), tmp_path)
    for expected in [
        "淳民〔2027〕3号",
        "2026年度淳安县社区建设工作报告",
        "一、社区基本情况",
        "表1 各乡镇社区",
        "12,345.5",
        "20,001",
        "67%",
        "90%",
        "淳安县民政局",
        "2027年1月15日",
    ]:
        assert expected in text, expected


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC), tick=False)
def test_libreoffice_reads_a_published_circular(tmp_path, client, users, tree):
    from reports import publishing
    from reports.models import Kind
    from tests.factories import make_return

    for month in (7, 8, 9):
        make_return(community=tree["home"], period=datetime.date(2026, month, 1), status="accepted")
    publication = publishing.publish(
        Kind.CIRCULAR,
        first_month=datetime.date(2026, 7, 1),
        last_month=datetime.date(2026, 9, 1),
        township=None,
        number="淳民〔2026〕30号",
        published_on=datetime.date(2026, 11, 20),
        note="",
        user=users["county"],
        today=datetime.date(2026, 11, 20),
    )
    response = client.get(f"/statistics/{publication.pk}/report.docx")
    text = office_text(response.content, tmp_path)
    document = publication.as_document
    assert document.title in text
    assert "淳民〔2026〕30号" in text
    assert tree["home"].name in text or tree["north"].name in text
    for row in document.sections[0].tables[0].rows if document.sections[0].tables else []:
        for cell in row:
            if isinstance(cell, int):
                assert f"{cell:,}" in text
