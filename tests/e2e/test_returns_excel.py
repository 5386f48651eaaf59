"""The Excel journey in a real browser: a clerk downloads the template, fills it in, uploads it,
sees an error, uploads a corrected workbook, confirms, and finds the figures saved."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from chunan_community.months import add_months, month_start
from communities.models import Indicator, MonthlyReturn, ReturnEvent, ReturnValue
from tests.e2e.journeys import log_in
from tests.factories import make_indicator

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAST = add_months(month_start(timezone.localdate()), -1)


@pytest.fixture
def demo(live_server, page):
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    if not Indicator.objects.filter(code="households").exists():
        make_indicator(code="households", name="户数", name_en="Households", unit="户")
    MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST).delete()
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    return page


def filled(path, households):
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    sheet = workbook["returns"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(3, header.index("households") + 1, households)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(page, data):
    page.locator("input[type='file']").set_input_files(
        {"name": "returns.xlsx", "mimeType": "application/octet-stream", "buffer": data}
    )
    page.get_by_role("button", name="Upload and check").click()


def test_clerk_imports_a_month_from_excel(demo, screenshot):
    page = demo
    log_in(page, "demo_clerk")
    page.goto("/returns/import/")
    page.locator("#id_month").fill(f"{LAST:%Y-%m}")
    screenshot("returns-excel-start")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the template (.xlsx)").click()
    template = download.value.path()

    upload(page, filled(template, -5))
    expect(page.locator("#import-errors li")).to_have_count(1)
    expect(page.locator("#import-errors li").first).to_contain_text(
        "Ensure this value is greater than or equal to 0."
    )
    screenshot("returns-excel-errors")

    page.get_by_role("link", name="Upload a corrected workbook").click()
    upload(page, filled(template, 1234))
    expect(page.locator("#import-outcome")).to_contain_text("No errors.")
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.locator(".message--success")).to_have_text("1 return imported.")
    screenshot("returns-excel-imported")

    saved = MonthlyReturn.objects.get(community__code="xiyuan", period=LAST)
    assert ReturnValue.objects.get(monthly_return=saved, indicator__code="households").value == (
        Decimal(1234)
    )
    assert list(saved.events.values_list("action", "by__username")) == [
        (ReturnEvent.Action.IMPORTED, "demo_clerk")
    ]
