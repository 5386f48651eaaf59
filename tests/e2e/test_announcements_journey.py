"""The county publishes an announcement (通知公告) and a visitor reads it: from the home page,
through its log-in link, by clicking only, to the county's announcements; a new announcement
with a file attached; then, logged out, the home page lists it at the top, its page opens,
its file downloads under its own name, it fits a phone and prints as a plain document.
"""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from portal.models import Announcement
from tests.e2e.journeys import log_out
from tests.e2e.test_print import PRINTABLE_WIDTH, print_problems
from tests.e2e.test_workplace_journeys import fits_a_phone, log_in_from_home, work_nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于开展社区走访慰问活动的通知"
FILE_NAME = "走访名单.pdf"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def demo(live_server):
    call_command("load_chunan", demo_accounts=True, verbosity=0)


def test_county_publishes_an_announcement_and_a_visitor_downloads_its_file(
    english, screenshot, demo
):
    page = english
    today = timezone.localdate()
    samples = Announcement.objects.filter(is_sample=True).count()

    # The county's list, from the work row.
    log_in_from_home(page, "demo_county")
    work_nav(page).get_by_role("link", name="Announcement management").click()
    expect(page).to_have_url(re.compile(r"/manage/announcements/$"))
    expect(page.locator("#announcement-table tbody tr")).to_have_count(samples)
    screenshot("announcements-county-list")

    # A new one, published today, with a file; an empty title first.
    page.get_by_role("link", name="New announcement").click()
    expect(page.get_by_label("Publish on")).to_have_value(today.isoformat())
    page.get_by_label("Text of the announcement").fill(
        "各社区居委会：\n\n请于本月底前完成走访。\n\n淳安县民政局"
    )
    page.get_by_role("button", name="Save the announcement").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Enter the title of the announcement.")
    fits_a_phone(page, screenshot, "announcements-form-with-errors", "#error-summary")
    page.locator("#error-summary a").first.click()
    expect(page.get_by_label("Announcement title")).to_be_focused()
    page.get_by_label("Announcement title").fill(TITLE)
    page.get_by_label("Attachment (optional)").set_input_files(
        files=[{"name": FILE_NAME, "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Save the announcement").click()

    expect(page.locator(".messages")).to_contain_text("Published: it is on the home page")
    row = page.locator("#announcement-table tbody tr").first
    expect(row.locator("th")).to_contain_text(TITLE)
    expect(row.locator(".announcement-status")).to_have_text("Published")
    fits_a_phone(page, screenshot, "announcements-county-list", "#announcement-table th")
    log_out(page)

    # A visitor: the home page lists it first, at the top.
    expect(page).to_have_url(re.compile(r"/$"))
    newest = page.locator("#home-announcements .announcement-list__title a").first
    expect(newest).to_have_text(TITLE)
    fits_a_phone(page, screenshot, "announcements-home", "#home-announcements")
    newest.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    with translation.override("en"):
        expect(page.locator("#announcement-date")).to_have_text(date_format(today, "DATE_FORMAT"))
    expect(page.locator("#announcement-body p")).to_have_count(3)
    with page.expect_download() as download_info:
        page.locator("#announcement-file").click()
    download = download_info.value
    assert download.suggested_filename == FILE_NAME
    assert Path(download.path()).read_bytes() == PDF
    fits_a_phone(page, screenshot, "announcements-page", "#announcement-file")
    screenshot("announcements-page")
    assert print_problems(page, "announcement", PRINTABLE_WIDTH) == []

    # The list of all of them, from the navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Announcements").click()
    expect(page).to_have_url(re.compile(r"/announcements/$"))
    expect(page.locator(".announcement-list li")).to_have_count(samples + 1)
    fits_a_phone(page, screenshot, "announcements-list", ".announcement-list")

    announcement = Announcement.objects.get(title=TITLE)
    assert (announcement.published_on, announcement.created_by.username) == (
        today,
        "demo_county",
    )
