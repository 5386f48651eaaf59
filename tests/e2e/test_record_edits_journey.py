"""The clerk keeps the community's record in the portal (issue 14): from the home page, by
clicking only, to the workspace; the office telephone and a facility changed on their record
pages, the change seen on the workspace and in the change history; at 390 px nothing scrolls
sideways."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from communities.models import Community, Facility
from tests.e2e.test_workplace_journeys import DESKTOP, PHONE, log_in_from_home, work_nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_chunan", demo_accounts=True, verbosity=0)


def fits_a_phone(page, screenshot, name):
    """At 390 px the page does not scroll sideways."""
    page.wait_for_load_state("load")
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(f"{name}-390")
    page.set_viewport_size(DESKTOP)
    assert width <= PHONE["width"], (name, width)


def test_clerk_edits_the_office_phone_and_a_facility(english, screenshot, demo):
    page = english

    log_in_from_home(page, "demo_clerk")
    work_nav(page).get_by_role("link", name="Our community").click()
    expect(page).to_have_url(re.compile(r"/manage/communities/xiyuan/$"))
    edit = page.get_by_role("navigation", name="Edit the record")
    expect(edit.get_by_role("link")).to_have_count(5)  # honours are the township's
    fits_a_phone(page, screenshot, "record-workspace")

    # The office telephone: a wrong number first, refused with the reason at the top.
    edit.get_by_role("link", name="Basic information and contacts").click()
    expect(page).to_have_url(re.compile(r"/manage/communities/xiyuan/edit/basic/$"))
    fits_a_phone(page, screenshot, "record-basic")
    page.get_by_label("Office telephone").fill("12345")
    page.get_by_label("Contact person").fill("王主任")
    page.get_by_role("button", name="Save").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Office telephone: Enter a telephone number such as")
    expect(page.get_by_label("Contact person")).to_have_value("王主任")
    screenshot("record-basic-refused")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Office telephone")).to_be_focused()
    page.get_by_label("Office telephone").fill("0571-6502 1234")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/manage/communities/xiyuan/$"))
    expect(page.locator(".messages")).to_contain_text("Saved: Basic information and contacts.")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("0571-6502 1234")
    expect(facts).to_contain_text("王主任")
    latest = page.locator("#changes tbody tr").first
    expect(latest).to_contain_text("demo_clerk")
    expect(latest).to_contain_text("Office telephone: — → changed to 0571-6502 1234")

    # A facility: the community medical station is now in place, with its area.
    page.get_by_role("navigation", name="Edit the record").get_by_role(
        "link", name="Facilities and areas"
    ).click()
    fits_a_phone(page, screenshot, "record-facilities")
    page.locator("#id_facility-medical_station-present").check()
    page.get_by_label("Community medical station: Area (m²)").fill("30")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".messages")).to_contain_text("Saved: Facilities and areas.")
    row = (
        page.locator("#facilities-caption")
        .locator("xpath=..")
        .get_by_role("row", name=re.compile("Community medical station"))
    )
    expect(row).to_contain_text("Yes")
    expect(row).to_contain_text("30")

    # The change history: both changes, with who made them.
    page.get_by_role("link", name="Change history").first.click()
    expect(page).to_have_url(re.compile(r"/manage/communities/xiyuan/changes/$"))
    rows = page.locator("main table tbody tr")
    expect(rows.nth(0)).to_contain_text("Facility: Community medical station")
    expect(rows.nth(0)).to_contain_text("Area (m²): — → changed to 30")
    expect(rows.nth(1)).to_contain_text("Office telephone")
    screenshot("record-changes")
    fits_a_phone(page, screenshot, "record-changes")

    xiyuan = Community.objects.get(code="xiyuan")
    assert (xiyuan.office_phone, xiyuan.contact_person) == ("0571-6502 1234", "王主任")
    station = Facility.objects.get(community=xiyuan, kind="medical_station")
    assert (station.present, station.area_m2) == (True, 30)
    assert xiyuan.history.latest().history_user.username == "demo_clerk"
