"""A monthly return's journey in a real browser: the clerk enters and submits, the township
approves or sends it back, the county accepts it."""

import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import expect

from chunan_community.months import add_months, month_start
from communities.models import Indicator, IndicatorRule, MonthlyReturn
from tests.e2e.journeys import fill_as_the_demo, log_in, log_out
from tests.factories import make_group, make_indicator, make_rule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAST = add_months(month_start(timezone.localdate()), -1)
URL = f"/returns/xiyuan/{LAST:%Y-%m}/"


@pytest.fixture
def demo_returns(live_server):
    """The Chun'an demo with its accounts; 西园's last month not started yet."""
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    if not Indicator.objects.active_in(LAST).exists():
        # Until the default catalogue is loaded by load_chunan: a small one.
        people = make_group(code="people", name="人口", name_en="Population")
        households = make_indicator(code="households", name="户数", name_en="Households")
        make_indicator(code="residents", name="常住人口", name_en="Residents", group=people)
        unemployed = make_indicator(
            code="unemployed", name="登记失业人员", name_en="Registered unemployed"
        )
        reemployed = make_indicator(
            code="reemployed", name="本月再就业人数", name_en="Re-employed this month"
        )
        make_rule(reemployed, IndicatorRule.Operator.LTE, unemployed)
        assert households.minimum == 0
    MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST).delete()


def figure_inputs(page):
    return page.locator(".return-table input[type='number']")


def clerk_submits(page, screenshot):
    log_in(page, "demo_clerk")
    page.get_by_role("link", name="Monthly returns", exact=True).click()
    with override("en"):
        month_label = date_format(LAST, "YEAR_MONTH_FORMAT")
    page.get_by_role("link", name=month_label, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(URL) + "$"))
    expect(page.locator("#return-status")).to_have_text("Not started")

    # The demo's own figures for the month: no rule broken, no unexplained outlier.
    fill_as_the_demo(page, "xiyuan", LAST)
    first = figure_inputs(page).first
    good = first.input_value()
    minimum = int(float(first.get_attribute("min")))
    first.fill(str(minimum - 1))
    page.get_by_role("button", name="Save draft").click()

    message = f"Ensure this value is greater than or equal to {minimum}."
    field_id = first.get_attribute("id")
    expect(page.locator(f"#{field_id}_error")).to_have_text(message)
    summary = page.locator("#error-summary")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text(message)
    screenshot("returns-clerk-error")
    summary.get_by_role("link").click()
    expect(page.locator(f"#{field_id}")).to_be_focused()
    assert MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST).count() == 0

    page.keyboard.press("Control+a")
    page.keyboard.type(good)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Saved as a draft (version 1).")
    expect(page.locator("#return-status")).to_have_text("Draft")

    # Submit with the keyboard only: Tab from the last comment to the Submit button, Enter.
    page.locator(".return-table input[type='text']").last.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save draft")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#return-status")).to_have_text("Submitted")
    expect(page.locator("#read-only-reason")).to_contain_text("waiting for the township's review")
    screenshot("returns-clerk-submitted")
    log_out(page)


def open_as(page, username):
    log_in(page, username)
    page.goto("/returns/")
    filters = page.get_by_role("search")
    filters.get_by_label("Community").select_option(label="Xiyuan Community")
    filters.get_by_label("Month").fill(f"{LAST:%Y-%m}")
    filters.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Xiyuan Community", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(URL) + "$"))


def test_return_clerk_submits_township_approves_county_accepts(english, screenshot, demo_returns):
    page = english
    clerk_submits(page, screenshot)

    open_as(page, "demo_township")
    expect(page.locator("#return-status")).to_have_text("Submitted")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Approved.")
    expect(page.locator("#return-status")).to_have_text("Approved by township")
    screenshot("returns-township-approved")
    log_out(page)

    open_as(page, "demo_county")
    page.get_by_role("button", name="Accept and lock").click()
    expect(page.locator(".messages")).to_contain_text(
        "Accepted by the county: the return is locked."
    )
    expect(page.locator("#return-status")).to_have_text("Accepted by county")
    screenshot("returns-county-accepted")
    monthly_return = MonthlyReturn.objects.get(community__code="xiyuan", period=LAST)
    assert monthly_return.status == "accepted"
    assert list(monthly_return.events.values_list("action", flat=True)) == [
        "saved",
        "submitted",
        "approved",
        "accepted",
    ]


def test_return_township_sends_back_clerk_sees_reason(english, screenshot, demo_returns):
    page = english
    clerk_submits(page, screenshot)

    open_as(page, "demo_township")
    page.get_by_role("button", name="Send back to the community").click()
    expect(page.locator("#id_send_back-reason_error")).to_have_text(
        "Give a reason: the community sees it with the return."
    )
    page.get_by_label("Reason for sending it back (the community sees it)").fill(
        "户数比上月少了很多，请与网格员核对后重新报送。"
    )
    page.get_by_role("button", name="Send back to the community").click()
    expect(page.locator(".messages")).to_contain_text("Sent back to the community")
    log_out(page)

    log_in(page, "demo_clerk")
    page.goto(URL)
    expect(page.locator("#return-status")).to_have_text("Sent back")
    expect(page.locator("#sent-back-reason")).to_have_text(
        "户数比上月少了很多，请与网格员核对后重新报送。"
    )
    expect(page.locator("#sent-back-heading")).to_contain_text("Sent back by")
    expect(figure_inputs(page).first).to_be_editable()
    screenshot("returns-clerk-sent-back")

    # Printed, the return is a plain table: no buttons, no navigation.
    page.emulate_media(media="print")
    expect(page.locator(".return-table")).to_be_visible()
    expect(page.get_by_role("button", name="Submit", exact=True)).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    screenshot("returns-clerk-print")
