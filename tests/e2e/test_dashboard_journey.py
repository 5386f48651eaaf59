"""The county dashboard in a real browser: demo_county opens it from the navigation, reads
the figures, reaches one with the keyboard and opens the list behind it; printed, the page
drops the navigation; demo_township sees only 千岛湖镇.

The demo is built relative to the day it is loaded: the figures below are read from the
page's own data (portal.dashboard) rather than typed in, so that the journey holds
whatever day the suite runs on.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from chunan_community.charts import format_number
from portal.dashboard import dashboard
from tests.e2e.journeys import log_in, log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data():
    call_command("load_chunan", demo_accounts=True, verbosity=0)


def board_of(username):
    return dashboard(get_user_model().objects.get(username=username))


def percent(rate):
    return "—" if rate.percent is None else f"{rate.percent}%"


def test_county_reads_the_dashboard_and_follows_a_figure(english, screenshot, demo_data):
    page = english
    board = board_of("demo_county")
    log_in(page, "demo_county")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()

    expect(page).to_have_url(re.compile(r"/manage/dashboard/$"))
    expect(page.locator("main h1")).to_have_text("Dashboard")
    expect(page.locator("#dashboard-scope")).to_contain_text(
        f"The county: {board.total.communities} active communities in 3 townships."
    )
    expect(page.locator("#reporting-rate .dash-figure__value")).to_have_text(
        percent(board.total.reporting)
    )
    expect(page.locator("#tier-star .dash-figure__value")).to_have_text(
        format_number(board.total.tiers["star"])
    )
    expect(page.locator("#terms-due .dash-figure__value")).to_have_text(
        format_number(board.total.terms_due)
    )
    rows = page.locator("#township-table tbody tr th")
    expect(rows).to_have_text(["Qiandaohu Town", "Fenkou Town", "Weiping Town"])
    screenshot("dashboard-county")

    # Printed: no navigation, the figures and the table remain.
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("#township-table")).to_be_visible()
    screenshot("dashboard-county-print")
    page.emulate_media(media="screen")

    # With the keyboard: Tab to the term elections figure and open it.
    terms = page.locator("#terms-due")
    for _ in range(60):
        page.keyboard.press("Tab")
        if terms.evaluate("element => element === document.activeElement"):
            break
    expect(terms).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/manage/terms-due/\?days=90$"))
    expect(page.locator(".results-count")).to_have_text(
        re.compile(rf"^\s*{board.total.terms_due} term elections? due")
    )
    screenshot("dashboard-county-terms-due")
    log_out(page)


def test_township_sees_only_its_township(english, screenshot, demo_data):
    page = english
    board = board_of("demo_township")
    log_in(page, "demo_township")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()

    expect(page.locator("#dashboard-scope")).to_contain_text(
        f"Qiandaohu Town: {board.total.communities} active communities."
    )
    expect(page.locator("#township-table")).to_have_count(0)
    expect(page.locator("#reporting-rate .dash-figure__value")).to_have_text(
        percent(board.total.reporting)
    )
    expect(page.locator("main")).not_to_contain_text("Fenkou")
    screenshot("dashboard-township")

    page.locator("#below-standard").click()
    expect(page).to_have_url(re.compile(r"/manage/space-standard/$"))
    expect(page.locator("#total-shortfall")).to_have_text(format_number(board.total.shortfall_m2))
    townships = page.locator("table.data-table tbody td:nth-child(2)")
    expect(townships).to_have_text(["Qiandaohu Town"] * board.total.below_standard)
