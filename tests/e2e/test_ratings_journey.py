"""A rating round's review in a real browser: the clerk declares, the county moves the round
to its review meeting and assigns the judge, the judge scores and closes scoring."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from communities.models import Community, Facility
from ratings.models import Declaration, Round, RoundStatus, ScoreSheet
from tests.e2e.journeys import (
    example_round_without_its_sample_review,
    log_in,
    log_out,
)
from tests.e2e.test_workplace_journeys import fits_a_phone

# The demo's example round is this year's.
CODE = str(timezone.localdate().year)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_round(live_server):
    """The Chun'an demo with its accounts and its example round (this year's) open for
    declarations, its dates set around today: declarations close in a week (closing them now
    goes against the date), the review meeting is today."""
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    round_ = example_round_without_its_sample_review()
    today = timezone.localdate()
    Round.objects.filter(pk=round_.pk).update(
        status=RoundStatus.DECLARATIONS_OPEN,
        declarations_open_on=today - datetime.timedelta(days=30),
        declarations_close_on=today + datetime.timedelta(days=7),
        review_meeting_on=today,
    )
    return round_


def move_on(page, stage, *, despite_dates=False, contacts=None, fact=None):
    """Move the example round on from the list of rounds: the confirmation says what the dates
    say; a move against them is refused until the box is ticked (asked again)."""
    row = page.locator("#staff-rounds tr", has=page.locator("[data-status]")).filter(
        has=page.get_by_role("link", name=re.compile(CODE))
    )
    row.get_by_role("button", name=f"Move on to “{stage}”…").click()
    expect(page.locator("#advance-question")).to_contain_text(f"to “{stage}”?")
    if fact:
        expect(page.locator("#advance-facts")).to_contain_text(fact)
    for label, value in (contacts or {}).items():
        page.get_by_label(label).fill(value)
    yes = page.get_by_role("button", name=f"Yes, move on to “{stage}”")
    if despite_dates:
        expect(page.locator("#advance-warnings")).to_be_visible()
        yes.click()
        expect(page.locator("#error-summary")).to_contain_text("tick the box")
        page.get_by_label("Move on all the same, against the dates above").check()
        page.get_by_role("button", name=f"Yes, move on to “{stage}”").click()
    else:
        expect(page.locator("#advance-warnings")).to_have_count(0)
        yes.click()
    expect(page.locator(".messages")).to_contain_text(f"moved on to “{stage}”")


def close_scoring(page):
    """The chair closes scoring from the progress page: asked first, then closed."""
    page.goto(f"/ratings/judging/{CODE}/progress/")
    page.get_by_role("button", name="Close scoring…").click()
    expect(page.locator("#advance-facts")).to_be_visible()
    page.get_by_role("button", name="Yes, move on to “Scoring closed: ranking”").click()


def test_rating_clerk_declares_county_assigns_judge_scores(english, screenshot, demo_round):
    page = english

    # The clerk declares 西园 as a normative community and submits.
    log_in(page, "demo_clerk")
    page.goto("/ratings/manage/")
    page.locator("#staff-rounds").get_by_role("link", name="Our declaration").click()
    expect(page).to_have_url(re.compile(rf"/ratings/manage/{CODE}/declare/xiyuan/$"))
    # Submitted without a tier: refused, summed up at the top with the focus on the summary,
    # its link to the first radio button; on a phone nothing scrolls sideways.
    page.get_by_role("button", name="Submit the declaration").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary a[href='#id_target_tier_0']")).to_contain_text(
        "Choose the tier the community declares."
    )
    fits_a_phone(page, screenshot, "ratings-declaration-refused", "#id_self_assessment")
    page.get_by_label("Normative community").check()
    page.get_by_label("Self-assessment").fill("组织健全，五大服务网络运行正常。")
    page.get_by_role("button", name="Submit the declaration").click()
    expect(page.locator(".messages")).to_contain_text("The declaration is submitted.")
    expect(page.locator("#declaration-status")).to_have_text("Submitted")
    screenshot("ratings-clerk-declared")
    log_out(page)

    # The county closes declarations, opens the review meeting and assigns the judge as chair.
    log_in(page, "demo_county")
    page.goto("/ratings/manage/")
    # Declarations close in a week, and 9 of the 10 communities have not declared.
    move_on(
        page,
        "Declarations closed",
        despite_dates=True,
        fact="9 of 10 communities have not submitted a declaration.",
    )
    move_on(page, "Review meeting: scoring")
    page.get_by_role("link", name=demo_round.name).click()
    expect(page.locator("#round-status")).to_have_text("Review meeting: scoring")
    expect(page.locator("#round-declarations")).to_contain_text("Submitted")
    page.get_by_label("Judge's user name").fill("demo_judge")
    page.get_by_label("Chair of the panel").check()
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("demo_judge is on the panel.")
    expect(page.locator("#round-judges")).to_contain_text("Chair")
    screenshot("ratings-county-panel")
    log_out(page)

    # The judge scores 西园, checks the progress and closes scoring.
    log_in(page, "demo_judge")
    page.goto(f"/ratings/judging/{CODE}/")
    page.locator("#judging-list").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/ratings/judging/{CODE}/xiyuan/$"))
    expect(page.locator("#self-assessment")).to_contain_text("五大服务网络运行正常")
    inputs = page.locator(".score-sheet input[type='number']")
    count = inputs.count()
    assert count >= 1
    inputs.first.fill("999")
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator("#error-summary")).to_contain_text("must be from 0 to")
    expect(page.locator("#error-summary")).to_be_focused()
    # On a phone the sheet's rows stack: each criterion, its maximum and its box, one under
    # the other, nothing scrolling sideways.
    fits_a_phone(
        page, screenshot, "ratings-judge-sheet-refused", ".score-sheet input[type='number']"
    )
    for n in range(count):
        inputs.nth(n).fill("15")
    # Save with the keyboard: Enter in the last points field submits the form.
    inputs.last.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Your scores are saved.")
    screenshot("ratings-judge-sheet")

    page.emulate_media(media="print")
    expect(page.locator(".score-sheet__table")).to_be_visible()
    expect(page.get_by_role("button", name="Save my scores")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    screenshot("ratings-judge-sheet-print")
    page.emulate_media(media="screen")

    page.goto(f"/ratings/judging/{CODE}/progress/")
    expect(page.locator("#progress [data-state='scored']")).to_have_count(1)
    close_scoring(page)
    expect(page.locator(".messages")).to_contain_text("Scoring is closed.")
    expect(page.locator("#round-status")).to_have_text("Scoring closed: ranking")
    screenshot("ratings-judge-closed")

    declaration = Declaration.objects.get(round=demo_round, community__code="xiyuan")
    assert declaration.status == Declaration.Status.SUBMITTED
    sheet = ScoreSheet.objects.get(declaration=declaration, judge__username="demo_judge")
    assert sheet.scores.count() == count
    assert list(Round.objects.get(pk=demo_round.pk).events.values_list("to_status", flat=True)) == [
        "declarations_closed",
        "review",
        "ranking",
    ]


def test_rating_whole_round_to_the_profile(english, screenshot, demo_round):
    """Declare → score → close scoring → public notice → an objection is answered →
    the notice ends → the county confirms → the rating is on the community's profile."""
    page = english
    # 西园 has closed its space shortfall and equipped all nine facilities since the sample
    # data was written, so the portal's own evidence counts for it.
    xiyuan = Community.objects.get(code="xiyuan")
    xiyuan.premises_area_m2 = xiyuan.space_required_m2 + 20
    xiyuan.save()
    for facility in Facility.objects.filter(community=xiyuan, present=False):
        facility.present, facility.area_m2 = True, 20
        facility.save()
    log_in(page, "demo_clerk")
    page.goto(f"/ratings/manage/{CODE}/declare/xiyuan/")
    page.get_by_label("Normative community").check()
    page.get_by_label("Self-assessment").fill("组织健全，设施齐全。")
    page.get_by_role("button", name="Submit the declaration").click()
    expect(page.locator("#declaration-status")).to_have_text("Submitted")
    log_out(page)

    log_in(page, "demo_county")
    page.goto("/ratings/manage/")
    move_on(page, "Declarations closed", despite_dates=True)
    move_on(page, "Review meeting: scoring")
    page.goto(f"/ratings/manage/{CODE}/")
    page.get_by_label("Judge's user name").fill("demo_judge")
    page.get_by_label("Chair of the panel").check()
    page.get_by_role("button", name="Assign", exact=True).click()
    log_out(page)

    log_in(page, "demo_judge")
    page.goto(f"/ratings/judging/{CODE}/xiyuan/")
    inputs = page.locator(".score-sheet input[type='number']")
    for n in range(inputs.count()):
        field = inputs.nth(n)
        field.fill(field.get_attribute("max"))
    page.get_by_role("button", name="Save my scores").click()
    expect(page.locator(".messages")).to_contain_text("Your scores are saved.")
    close_scoring(page)
    expect(page.locator("#round-status")).to_have_text("Scoring closed: ranking")
    log_out(page)

    # The county opens the public notice with the contacts it prints; the public sees the
    # proposed results, and the printed notice the rating reached and how to object.
    log_in(page, "demo_county")
    page.goto("/ratings/manage/")
    move_on(
        page,
        "Public notice",
        contacts={
            "Telephone for objections": "0571-65021234",
            "Address for written objections": "淳安县民政局，千岛湖镇新安东路1号",
        },
    )
    page.goto(f"/ratings/manage/{CODE}/")
    expect(page.locator("#move-refusal")).to_contain_text("the results can be confirmed after it")
    log_out(page)
    page.goto(f"/ratings/{CODE}/notice/")
    expect(page.locator("#notice-sheet [data-category='normative'] h2")).to_contain_text(
        "(1 community)"
    )
    expect(page.locator("#notice-address")).to_contain_text("千岛湖镇新安东路1号")
    expect(page.locator("#notice-phone")).to_contain_text("0571-65021234")
    page.goto(f"/ratings/{CODE}/")
    expect(page.locator("main")).to_contain_text("Xiyuan")
    screenshot("ratings-notice-public")

    # An anonymous visitor sends an objection.
    page.get_by_label("Your opinion or objection").fill("西园社区的活动室面积是否达标？请核实。")
    page.get_by_role("button", name="Send the opinion").click()
    expect(page.locator(".messages")).to_contain_text("received")

    # The county publishes it with a public reply.
    log_in(page, "demo_county")
    page.goto(f"/ratings/manage/{CODE}/objections/")
    page.locator("#objections a").first.click()
    page.get_by_label("Publish on the notice page").check()
    page.get_by_label("How it was handled (internal record)").fill("已实地核查。")
    page.get_by_label("Public reply").fill("经核实，西园社区活动用房面积符合规范社区要求。")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("The opinion was saved.")
    page.goto(f"/ratings/{CODE}/")
    expect(page.locator("main")).to_contain_text("经核实，西园社区活动用房面积符合规范社区要求。")

    # A week later the notice has ended: the county confirms the results.
    today = timezone.localdate()
    Round.objects.filter(pk=demo_round.pk).update(
        notice_starts_on=today - datetime.timedelta(days=8),
        notice_ends_on=today - datetime.timedelta(days=1),
    )
    page.goto(f"/ratings/manage/{CODE}/confirm/")
    page.get_by_role("button", name="Yes, confirm the results").click()
    expect(page.locator("#round-status")).to_have_text("Final")
    log_out(page)

    # Confirmed, the printed notice is the announcement of the results.
    page.goto(f"/ratings/{CODE}/notice/")
    expect(page.locator("#notice-title")).to_contain_text("Announcement of the results")
    expect(page.locator("#notice-how")).to_have_count(0)

    page.goto("/communities/xiyuan/")
    history = page.locator("#rating-history")
    expect(history).to_contain_text(CODE)
    expect(history).to_contain_text("Normative community")
    screenshot("ratings-profile-after-confirm")
    assert Round.objects.get(pk=demo_round.pk).status == RoundStatus.FINAL
