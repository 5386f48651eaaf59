"""Each demo role's main journey, as a person makes it: from the home page, through its own
log-in link, then by clicking only (no address typed) from the to-do list they land on.

The demo (load_chunan --demo-accounts) gives every role work on the day it is loaded: the
clerk's return of last month is due, the example round stands at its review meeting with
西园's declaration in, the township has returns to review, the county returns to accept and
the round's scoring to close, the judge score sheets to fill. The county's opinion to
moderate comes from a round under notice added here.
"""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from communities.models import Community, MonthlyReturn, ReturnStatus
from ratings.models import Objection, RoundStatus, ScoreSheet
from tests.e2e.journeys import DEMO_PASSWORD, demo_calendar, example_round, fill_as_the_demo
from tests.ratings.factories import make_round

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    return example_round()


def log_in_from_home(page, username):
    """Open the home page, follow its 登录 (Log in) link, log in: the to-do list opens."""
    page.goto("/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/manage/todo/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("To do")


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def fits_a_phone(page, screenshot, name, selector):
    """At 390 px nothing scrolls sideways and the first `selector` lies inside the screen."""
    # Measured once the style sheets are in: a layout read before would be of a bare page.
    page.wait_for_load_state("load")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(f"{name}-390")
    page.set_viewport_size(DESKTOP)


def work_nav(page):
    return page.get_by_role("list", name="My work")


def open_to_do(page):
    work_nav(page).get_by_role("link", name=re.compile("^To do")).click()
    expect(page).to_have_url(re.compile(r"/manage/todo/$"))


def test_clerk_files_the_return_that_is_due_and_finds_the_declaration(english, screenshot, demo):
    page = english
    month = demo_calendar().last_month
    month_name = f"{month:%B %Y}"

    log_in_from_home(page, "demo_clerk")
    task = page.get_by_role("link", name=f"Fill in and submit the return for {month_name}")
    expect(task).to_be_visible()
    screenshot("workplace-clerk-todo")
    task.click()
    expect(page).to_have_url(re.compile(rf"/returns/xiyuan/{month:%Y-%m}/$"))
    fits_a_phone(page, screenshot, "workplace-clerk-return", ".return-table input[type='number']")
    fill_as_the_demo(page, "xiyuan", month)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#return-status")).to_have_text("Submitted")

    # The return is no longer on the list; the declaration is reached from the menu.
    open_to_do(page)
    expect(
        page.get_by_role("link", name=f"Fill in and submit the return for {month_name}")
    ).to_have_count(0)
    work_nav(page).get_by_role("link", name="Our declaration").click()
    expect(page).to_have_url(re.compile(r"/ratings/manage/$"))
    page.locator("#staff-rounds").get_by_role("link", name="Our declaration").click()
    expect(page).to_have_url(re.compile(rf"/ratings/manage/{demo.code}/declare/xiyuan/$"))
    expect(page.locator("#declaration-status")).to_have_text("Submitted")
    expect(page.locator("main")).to_contain_text("共建单位六家")
    fits_a_phone(page, screenshot, "workplace-clerk-declaration", "#declaration-status")
    screenshot("workplace-clerk-declaration")

    saved = MonthlyReturn.objects.get(community__code="xiyuan", period=month)
    assert saved.status == ReturnStatus.SUBMITTED


def test_township_reviews_a_return_from_the_to_do_list(english, screenshot, demo):
    page = english

    log_in_from_home(page, "demo_township")
    work = page.locator(
        "section.work",
        has=page.get_by_role("heading", name=re.compile("Monthly returns to review")),
    )
    first = work.locator(".task__what").first
    community = work.locator(".task__community").first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(r"/returns/[a-z]+/\d{4}-\d{2}/$"))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Approved.")
    expect(page.locator("#return-status")).to_have_text("Approved by township")
    screenshot("workplace-township-approved")

    code = re.search(r"/returns/([a-z]+)/", page.url)[1]
    assert Community.objects.get(code=code).name_en == community


def test_county_closes_the_scoring_and_moderates_an_opinion(english, screenshot, demo):
    page = english
    today = timezone.localdate()
    notice = make_round(
        code="notice",
        year=today.year - 1,
        name=f"{today.year - 1}年度社区评定（补充）",
        status=RoundStatus.NOTICE,
        notice_starts_on=today - datetime.timedelta(days=2),
        notice_ends_on=today + datetime.timedelta(days=4),
    )
    Objection.objects.create(
        round=notice,
        community=Community.objects.get(code="xiyuan"),
        text="西园社区的活动室面积是否达标？请核实。",
        sender_hash="e2e",
    )

    log_in_from_home(page, "demo_county")
    # (A round's name is marked Chinese inside the English sentence: Chrome then names the
    # link "… 2026 年度…", so the links are found by their English words.)
    page.get_by_role("link", name=re.compile("on to “Scoring closed: ranking”$")).click()
    expect(page.locator("#round-status")).to_have_text("Review meeting: scoring")
    page.get_by_role("button", name="Move on to “Scoring closed: ranking”…").click()
    despite = page.get_by_label("Move on all the same, against the dates above")
    if despite.count():
        despite.check()
    page.get_by_role("button", name="Yes, move on to “Scoring closed: ranking”").click()
    expect(page.locator("#round-status")).to_have_text("Scoring closed: ranking")
    screenshot("workplace-county-scoring-closed")

    open_to_do(page)
    page.get_by_role("link", name=re.compile("^Moderate an opinion on ")).click()
    page.get_by_label("Publish on the notice page").check()
    page.get_by_label("How it was handled (internal record)").fill("已实地核查。")
    page.get_by_label("Public reply").fill("经核实，西园社区活动用房面积达标。")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("The opinion was saved.")
    screenshot("workplace-county-moderated")

    demo.refresh_from_db()
    assert demo.status == RoundStatus.RANKING
    assert Objection.objects.get(round=notice).status == Objection.Status.PUBLISHED


def test_judge_fills_a_score_sheet_from_the_to_do_list(english, screenshot, demo):
    page = english

    log_in_from_home(page, "demo_judge")
    page.get_by_role("link", name=re.compile("^Score 4 communities for ")).click()
    page.locator("#judging-list").get_by_role("link").first.click()
    inputs = page.locator(".score-sheet input[type='number']")
    expect(inputs.first).to_be_visible()
    fits_a_phone(page, screenshot, "workplace-judge-sheet", ".score-sheet input[type='number']")
    for n in range(inputs.count()):
        field = inputs.nth(n)
        field.fill(field.get_attribute("max"))
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator(".messages")).to_contain_text("Your scores are saved.")
    screenshot("workplace-judge-scored")

    open_to_do(page)
    expect(page.get_by_role("link", name=re.compile("^Score 3 communities for "))).to_be_visible()
    assert ScoreSheet.objects.filter(judge__username="demo_judge").count() == 1
