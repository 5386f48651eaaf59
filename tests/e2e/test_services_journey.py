"""The demo clerk's service work in a real browser (issue #5): register a volunteer, record
two sessions of service and see the time-bank balance, record a visit to a household, and
find this month's return prefilled from those records."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import override
from playwright.sync_api import expect

from chunan_community.months import month_end
from communities.models import MonthlyReturn
from services.models import AssistanceVisit, HelpKind, ServiceRecord, Volunteer
from tests.e2e.journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "王小明"
MASKED = "王*明"


@pytest.fixture
def demo_data(live_server):
    call_command("load_chunan", demo_accounts=True, verbosity=0)


def record_session(page, hours, activity):
    page.get_by_role("link", name="Record a session of service").click()
    expect(page.get_by_label("Served on")).to_have_value(f"{timezone.localdate():%Y-%m-%d}")
    page.get_by_label("Hours").fill(hours)
    page.get_by_label("Activity").fill(activity)
    page.get_by_role("button", name="Record the session").click()


def records_of_the_month(month):
    """西园's sessions' hours and hardship visits of the month so far: the demo's records
    run up to the day it is loaded."""
    served = ServiceRecord.objects.filter(
        volunteer__community__code="xiyuan", served_on__gte=month, served_on__lte=month_end(month)
    )
    visited = AssistanceVisit.objects.filter(
        household__community__code="xiyuan",
        kind=HelpKind.HARDSHIP,
        visited_on__gte=month,
        visited_on__lte=month_end(month),
    )
    return served.aggregate(total=Sum("hours"))["total"] or Decimal(0), visited.count()


def test_clerk_records_service_and_finds_the_return_prefilled(english, screenshot, demo_data):
    page = english
    today = timezone.localdate()
    month = today.replace(day=1)
    xiyuan_volunteers = Volunteer.objects.filter(community__code="xiyuan", active=True).count()
    demo_hours, demo_visits = records_of_the_month(month)
    log_in(page, "demo_clerk")

    # The clerk's service work: straight to 西园's page.
    page.get_by_role("list", name="My work").get_by_role("link", name="Services").click()
    expect(page).to_have_url(re.compile(r"/services/xiyuan/$"))
    page.get_by_role("link", name="Volunteers and the time bank").click()
    page.get_by_role("link", name="Register a volunteer").click()

    # A bad phone number is refused with a message, and what was typed stays.
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Phone").fill("138-abc")
    page.get_by_label("Kind").select_option("resident")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_label("Name")).to_have_value(NAME)
    expect(page.locator("main")).to_contain_text("phone", ignore_case=True)
    assert not Volunteer.objects.filter(name=NAME).exists()
    screenshot("services-volunteer-bad-phone")

    page.get_by_label("Phone").fill("138-0000-9999")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("main h1")).to_contain_text(NAME)
    expect(page.locator("#balance")).to_have_text("0.00 hours")

    record_session(page, "2.5", "Reading the newspaper to elderly residents")
    expect(page.locator("#balance")).to_have_text("2.50 hours")
    record_session(page, "1.5", "Tidying the community garden")
    expect(page.locator("#balance")).to_have_text("4.00 hours")
    screenshot("services-volunteer-balance")
    volunteer = Volunteer.objects.get(name=NAME)
    assert ServiceRecord.objects.filter(volunteer=volunteer).count() == 2

    # The list shows the new volunteer masked, never the whole name (found by part of it:
    # 西园 has hundreds of sample volunteers, on many pages).
    page.goto("/services/xiyuan/volunteers/")
    search = page.get_by_role("search")
    search.get_by_label("Name").fill(NAME[1:])
    search.get_by_role("button", name="Show").click()
    main = page.locator("main")
    expect(main.locator(".results-count")).to_have_text("1 volunteer")
    expect(main).to_contain_text(MASKED)
    expect(main).not_to_contain_text(NAME)

    # A visit to a household in difficulty, from the households list.
    page.goto("/services/xiyuan/")
    page.get_by_role("link", name="Paired assistance: households and visits").click()
    page.locator("main table tbody tr").first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/services/xiyuan/households/\d+/$"))
    visits_before = AssistanceVisit.objects.filter(visited_on=today).count()
    page.get_by_role("link", name="Record a visit").click()
    page.get_by_label("Help given").select_option("hardship")
    page.get_by_label("Hours").fill("1")
    page.get_by_label("Note").fill("Brought rice and oil; checked the heating.")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.locator(".messages")).to_be_visible()
    assert AssistanceVisit.objects.filter(visited_on=today).count() == visits_before + 1
    screenshot("services-household-visit")

    # This month's return starts from what the records say, the demo's and the clerk's;
    # nothing is stored until saved.
    hours_expected = demo_hours + Decimal(4)
    with override("en"):
        hours_note = floatformat(hours_expected, "-2g")
    page.goto(f"/returns/xiyuan/{today:%Y-%m}/")
    hours = page.locator("#id_v_volunteer_hours")
    expect(page.locator("#id_v_volunteer_hours_records")).to_contain_text(
        f"From the service records: {hours_note}"
    )
    assert Decimal(hours.input_value()) == hours_expected
    expect(page.locator("#id_v_help_visits_hardship")).to_have_value(str(demo_visits + 1))
    expect(page.locator("#id_v_registered_volunteers")).to_have_value(str(xiyuan_volunteers + 1))
    screenshot("services-return-prefilled")
    assert not MonthlyReturn.objects.filter(community__code="xiyuan", period=month).exists()

    # Saving is the clerk's confirmation.
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("Saved as a draft")
    saved = MonthlyReturn.objects.get(community__code="xiyuan", period=month)
    stored = {
        value.indicator.code: value.value for value in saved.values.select_related("indicator")
    }
    assert stored["volunteer_hours"] == hours_expected
    assert stored["help_visits_hardship"] == demo_visits + 1
