"""The county's view of a month, in a real browser: the clerk submits 西园社区's October,
the township approves it, and demo_county finds it on the completeness grid, accepts it,
reads it in the aggregates and exports it as CSV.

The demo returns are fixed at 2026-10 (DEMO_LAST_MONTH), 西园's October left not started.
Whatever the real date, the entry window is stretched so that the clerk can still enter it,
and every report is asked for 2026-10 explicitly rather than "the last months".
"""

import csv
import io
import re

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from communities.chunan_facts import DEMO_LAST_MONTH
from communities.models import MonthlyReturn, ReturnStatus, ReturnValue
from communities.returns_checks import month_end
from tests.e2e import journeys
from tests.e2e.journeys import log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MONTH = f"{DEMO_LAST_MONTH:%Y-%m}"  # 2026-10
FIRST = "2026-05"
RETURN_URL = f"/returns/xiyuan/{MONTH}/"
# The residents entered: last month's figure plus this (small enough not to be an outlier).
RESIDENTS_DELTA = 7


@pytest.fixture
def demo(live_server, page, settings):
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    assert not MonthlyReturn.objects.filter(community__code="xiyuan", period=DEMO_LAST_MONTH)
    # 2026-10 is open for entry until 2026-12-15 (45 days); on a later day the suite runs,
    # the window is stretched to today so that the clerk can still enter it.
    days_since = (timezone.localdate() - month_end(DEMO_LAST_MONTH)).days
    settings.RETURN_CLOSE_DAYS = max(settings.RETURN_CLOSE_DAYS, days_since)
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    return page


def log_in(page, username):
    journeys.log_in(page, username)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def number(text: str) -> int:
    return int(text.replace(",", ""))


def clerk_fills_and_submits(page, screenshot) -> int:
    """Every required figure as last month's, residents a little more; returns residents."""
    log_in(page, "demo_clerk")
    page.get_by_role("link", name="Monthly returns", exact=True).click()
    toolbar = page.get_by_role("navigation", name="Monthly returns pages")
    expect(toolbar.get_by_role("link")).to_have_text(["Aggregates", "Excel import and export"])
    page.goto(RETURN_URL)  # the list shows the last twelve months: 2026-10 only until 2027-10
    expect(page.locator("#return-status")).to_have_text("Not started")
    required = page.locator(".return-table tr:has(.return-required)")
    assert required.count() > 0
    residents = None
    for n in range(required.count()):
        row = required.nth(n)
        previous = row.locator(".return-table__previous").inner_text().strip()
        assert re.fullmatch(r"[\d,]+", previous), previous
        value = number(previous)
        if row.get_attribute("id") == "row-residents":
            residents = value = value + RESIDENTS_DELTA
        row.locator("input[type='number']").fill(str(value))
    assert residents is not None
    screenshot("county-journey-clerk-filled")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Submitted")
    expect(page.locator("#return-status")).to_have_text("Submitted")
    log_out(page)
    return residents


def township_approves(page):
    log_in(page, "demo_township")
    page.get_by_role("link", name="Monthly returns", exact=True).click()
    filters = page.get_by_role("search")
    filters.get_by_label("Community").select_option(label="Xiyuan Community")
    filters.get_by_label("Month").fill(MONTH)
    filters.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Xiyuan Community", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(RETURN_URL) + "$"))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#return-status")).to_have_text("Approved by township")
    log_out(page)


def grid_cell(page):
    row = page.locator("table.grid tbody tr").filter(
        has=page.get_by_role("rowheader", name="Xiyuan Community", exact=True)
    )
    return row.locator(f"td[data-month='{MONTH}']")


def show_months(page):
    filters = page.get_by_role("search")
    filters.get_by_label(re.compile(r"^First month:?$")).fill(FIRST)
    filters.get_by_label(re.compile(r"^Last month:?$")).fill(MONTH)
    filters.get_by_role("button", name="Show").click()


def test_county_sees_accepts_aggregates_and_exports_a_return(demo, screenshot):
    page = demo
    residents = clerk_fills_and_submits(page, screenshot)
    township_approves(page)

    # The county: from the returns list, the toolbar leads to the completeness grid.
    log_in(page, "demo_county")
    page.get_by_role("link", name="Monthly returns", exact=True).click()
    toolbar = page.get_by_role("navigation", name="Monthly returns pages")
    expect(toolbar.get_by_role("link")).to_have_count(3)
    screenshot("county-journey-list")
    toolbar.get_by_role("link", name="Completeness", exact=True).click()
    expect(page).to_have_url(re.compile(r"/returns/completeness/$"))
    show_months(page)
    cell = grid_cell(page)
    expect(cell).to_have_attribute("data-status", "approved")
    expect(cell).to_contain_text("✓")
    expect(cell.get_by_role("link")).to_have_accessible_name(re.compile(r"Approved by township"))
    grid_url = page.url
    screenshot("county-journey-grid-approved")

    # The cell opens the return; the county accepts (and locks) it.
    cell.get_by_role("link").click()
    expect(page).to_have_url(re.compile(re.escape(RETURN_URL) + "$"))
    page.get_by_role("button", name="Accept and lock").click()
    expect(page.locator(".messages")).to_contain_text("Accepted by the county")
    expect(page.locator("#return-status")).to_have_text("Accepted by county")

    page.goto(grid_url)
    cell = grid_cell(page)
    expect(cell).to_have_attribute("data-status", "accepted")
    expect(cell).to_contain_text("★")
    expect(cell.get_by_role("link")).to_have_accessible_name(re.compile(r"Accepted by county"))
    screenshot("county-journey-grid-accepted")
    # Printed, the grid stays; the breadcrumbs and filters do not.
    page.emulate_media(media="print")
    expect(page.locator("table.grid")).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_be_hidden()
    page.emulate_media(media="screen")

    # Back to the list by the breadcrumb, on to the aggregates: residents per township.
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Monthly returns", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/returns/$"))
    page.get_by_role("navigation", name="Monthly returns pages").get_by_role(
        "link", name="Aggregates", exact=True
    ).click()
    filters = page.get_by_role("search")
    filters.get_by_label("Indicator").select_option("residents")
    filters.get_by_label("Areas").select_option(label="Per township")
    filters.get_by_label("Period").select_option(label="Month")
    filters.get_by_label(re.compile(r"^First month:?$")).fill(FIRST)
    filters.get_by_label(re.compile(r"^Last month:?$")).fill(MONTH)
    filters.get_by_role("button", name="Show").click()

    table = page.locator("table.aggregate-table")
    heads = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    column = heads.index("Qiandaohu Town")
    row = table.locator("tbody tr").filter(
        has=page.get_by_role("rowheader", name=MONTH, exact=True)
    )
    figure = row.locator("th, td").nth(column)
    expect(figure).to_have_text(re.compile(r"^\d[\d,]*$"))
    expected = ReturnValue.objects.filter(
        indicator__code="residents",
        monthly_return__period=DEMO_LAST_MONTH,
        monthly_return__community__township__code="qiandaohu",
        monthly_return__status__in=[
            ReturnStatus.SUBMITTED,
            ReturnStatus.APPROVED,
            ReturnStatus.ACCEPTED,
        ],
    ).aggregate(total=Sum("value"))["total"]
    assert number(figure.inner_text()) == expected >= residents
    expect(page.locator("figure.chart-figure svg")).to_be_visible()
    screenshot("county-journey-aggregates")

    # The Excel page, in Chinese (the export's names follow the language), CSV of 2026-10.
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Monthly returns", exact=True
    ).click()
    page.get_by_role("navigation", name="Monthly returns pages").get_by_role(
        "link", name="Excel import and export"
    ).click()
    expect(page).to_have_url(re.compile(r"/returns/import/$"))
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.locator("#id_month_from").fill(MONTH)
    page.locator("#id_month_to").fill(MONTH)
    screenshot("county-journey-export")
    with page.expect_download() as download:
        page.locator(f"button[formaction='{reverse('return_export_csv')}']").click()
    text = download.value.path().read_text(encoding="utf-8-sig")

    lines = list(csv.reader(io.StringIO(text)))
    header, rows = lines[0], lines[1:]
    assert len({row[3] for row in rows}) == 1  # one month only
    (xiyuan,) = [row for row in rows if row[0] == "xiyuan"]
    assert xiyuan[1] == "西园社区"
    assert xiyuan[2] == "千岛湖镇"
    residents_column = next(i for i, label in enumerate(header) if label.startswith("居民人数"))
    assert xiyuan[residents_column] == str(residents)
