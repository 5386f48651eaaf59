"""The county's published reports (统计信息), as their readers reach them.

A visitor finds last year's yearly report and the last closed quarter's circular from the home
page in two clicks, reads the report and downloads it as Word and Excel. County staff, from
the home page's log-in link and the work row only, build this year's circular for a month,
print it, publish it with a document number, correct it with a note, and the visitor then
finds the corrected version on the home page, the first version still readable.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from reports.circular import last_closed_quarter
from reports.models import Kind, Publication
from tests.e2e.journeys import log_out
from tests.e2e.test_print import print_problems
from tests.e2e.test_workplace_journeys import fits_a_phone, log_in_from_home, work_nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_chunan", demo_accounts=True, verbosity=0)


def test_a_visitor_finds_the_published_reports_in_two_clicks(page, screenshot, demo):
    yearly = Publication.objects.get(kind=Kind.YEARLY)
    circular = Publication.objects.get(kind=Kind.CIRCULAR)

    page.goto("/")
    listed = page.locator("#home-reports .announcement-list__title a")
    expect(listed.filter(has_text=yearly.title)).to_have_count(1)
    expect(listed.filter(has_text=circular.title)).to_have_count(1)
    fits_a_phone(page, screenshot, "statistics-home", "#home-reports")

    # Click 1: the yearly report, straight from the home page.
    listed.filter(has_text=yearly.title).click()
    expect(page.locator("#document-title")).to_contain_text(yearly.title)
    expect(page.locator("#document-number")).to_have_text(yearly.number)
    expect(page.locator(".document__section h2").first).to_contain_text("一、")
    screenshot("statistics-yearly-1280")
    fits_a_phone(page, screenshot, "statistics-yearly", "#document-title")
    with page.expect_download() as download:
        page.locator("#publication-docx").click()
    assert download.value.suggested_filename.endswith(".docx")
    with page.expect_download() as download:
        page.locator("#publication-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # Back home; click 1: the statistics page in the main menu; click 2: the circular.
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="统计信息").click()
    expect(page).to_have_url(re.compile(r"/statistics/$"))
    page.get_by_role("link", name=circular.title).click()
    expect(page.locator("#document-title")).to_contain_text(circular.title)
    screenshot("statistics-circular-1280")

    # It prints as a document on A4.
    page.locator("#publication-print").click()
    expect(page.locator("#document-issuer")).to_be_visible()
    assert print_problems(page, "circular") == []


def test_county_staff_publish_and_correct_a_circular(english, screenshot, demo):
    page = english
    log_in_from_home(page, "demo_county")
    work_nav(page).get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Statistics and published reports").click()
    expect(page).to_have_url(re.compile(r"/manage/statistics/$"))
    page.locator("#build-circular").click()

    # A month rather than the quarter.
    month = page.get_by_label("Month or quarter")
    option = month.locator("optgroup").nth(1).locator("option").first
    value, label = option.get_attribute("value"), option.inner_text()
    month.select_option(value)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#document-title")).to_contain_text(label.split(" ")[-1][:4])
    screenshot("statistics-build-circular")

    # Print view, and back.
    page.locator("#report-print").click()
    assert print_problems(page, "circular") == []
    page.go_back()

    # Publish with a number.
    page.get_by_label("Document number").fill("淳民〔2026〕99号")
    page.locator("#publish-button").click()
    expect(page.locator(".messages")).to_contain_text("Published")
    expect(page.locator("#document-number")).to_have_text("淳民〔2026〕99号")
    first_url = page.url

    # Publishing it again needs a note.
    page.go_back()
    page.locator("#publish-button").click()
    expect(page.locator("#publish-refusal")).to_contain_text("correction note")
    fits_a_phone(page, screenshot, "statistics-publish-refused", "#publish-refusal")
    page.get_by_label("Correction note").fill("更正：补充了迟报社区名单。")
    page.locator("#publish-button").click()
    expect(page.locator("#publication-note")).to_contain_text("补充了迟报社区名单")
    expect(page.locator(".publication-versions li")).to_have_count(2)
    screenshot("statistics-corrected")
    log_out(page)

    # The visitor: the corrected version on the home page, the first one marked.
    page.goto("/")
    page.locator("#home-reports a", has_text="淳").first.wait_for()
    newest = Publication.objects.filter(kind=Kind.CIRCULAR, version=2).get()
    page.locator(f'#home-reports [data-publication="{newest.pk}"] a').first.click()
    expect(page.locator("#publication-note")).to_be_visible()
    page.goto(first_url)
    expect(page.locator("#publication-superseded")).to_be_visible()
    assert last_closed_quarter  # the demo's quarter is the default choice (tested apart)
