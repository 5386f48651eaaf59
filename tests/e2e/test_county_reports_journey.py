"""The county's view of a month, in a real browser: the clerk submits 西园社区's last month,
the township approves it, and demo_county finds it on the completeness grid, accepts it,
reads it in the aggregates and exports it as CSV.

The demo's returns end with the last closed month (DemoCalendar), 西园's left not started
and still open for entry; every report is asked for that month explicitly.
"""

import csv
import io
import re

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from playwright.sync_api import expect

from chunan_community.months import add_months
from communities.models import MonthlyReturn, ReturnStatus, ReturnValue
from tests.e2e import journeys
from tests.e2e.journeys import demo_calendar, demo_entries, fill_as_the_demo, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAST = demo_calendar().last_month
MONTH = f"{LAST:%Y-%m}"
FIRST = f"{add_months(LAST, -5):%Y-%m}"
RETURN_URL = f"/returns/xiyuan/{MONTH}/"
# The residents entered: the demo's figure plus this (small enough not to be an outlier).
RESIDENTS_DELTA = 7


@pytest.fixture
def demo(live_server, page):
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    assert not MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST)
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
    """Every figure as the demo has it, residents a little more; returns residents."""
    log_in(page, "demo_clerk")
    page.get_by_role("link", name="Monthly returns", exact=True).click()
    toolbar = page.get_by_role("navigation", name="Monthly returns pages")
    expect(toolbar.get_by_role("link")).to_have_text(["Aggregates", "Excel import and export"])
    page.goto(RETURN_URL)
    expect(page.locator("#return-status")).to_have_text("Not started")
    fill_as_the_demo(page, "xiyuan", LAST)
    residents = number(demo_entries("xiyuan", LAST)["id_v_residents"]) + RESIDENTS_DELTA
    page.locator("#id_v_residents").fill(str(residents))
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
        monthly_return__period=LAST,
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

    # The Excel page, in Chinese (the export's names follow the language), CSV of the month.
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
        page.locator(f"button[formaction='{reverse('returns:export_csv')}']").click()
    text = download.value.path().read_text(encoding="utf-8-sig")

    lines = list(csv.reader(io.StringIO(text)))
    header, rows = lines[0], lines[1:]
    assert len({row[3] for row in rows}) == 1  # one month only
    (xiyuan,) = [row for row in rows if row[0] == "xiyuan"]
    assert xiyuan[1] == "西园社区"
    assert xiyuan[2] == "千岛湖镇"
    residents_column = next(i for i, label in enumerate(header) if label.startswith("居民人数"))
    assert xiyuan[residents_column] == str(residents)
