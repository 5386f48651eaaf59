"""The pages the accessibility and print checks visit, and the demo data they show.

The Chun'an demo (load_chunan --demo-accounts) plus: its example round (this year's) under
public notice with all ten communities proposed as normative (so that its notice and objection
form are open), a round of next year at its review meeting with demo_judge on the panel (the
score sheet), and 西园's last month not started (the clerk's empty return form).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from communities.models import Community, MonthlyReturn
from ratings.models import Criterion, CutOff, Round, RoundStatus, Score, ScoreSheet, Tier
from tests.e2e.journeys import demo_calendar, example_round_without_its_sample_review, log_in
from tests.ratings.factories import make_assignment, make_criterion, make_declaration, make_round

LAST = demo_calendar().last_month
RETURN_URL = f"/returns/xiyuan/{LAST:%Y-%m}/"
# The demo's example round (of this year), and the round of next year made here.
NOTICE_YEAR = timezone.localdate().year
REVIEW_YEAR = NOTICE_YEAR + 1
REVIEW_CODE = str(REVIEW_YEAR)
SHEET_URL = f"/ratings/judging/{REVIEW_CODE}/xiyuan/"
NOTICE_URL = f"/ratings/{NOTICE_YEAR}/notice/"
OBJECTION_URL = f"/ratings/{NOTICE_YEAR}/objections/"

# (name, path): every page anyone may read without logging in.
PUBLIC_PAGES = [
    ("home", "/"),
    ("directory", "/communities/"),
    ("directory-filtered", "/communities/?township=qiandaohu&q=%E5%9B%AD"),
    ("directory-no-match", "/communities/?q=nothing-matches"),
    ("profile", "/communities/xiyuan/"),
    ("ratings", "/ratings/"),
    ("results-final", "/ratings/2008/"),
    ("results-under-notice", f"/ratings/{NOTICE_YEAR}/"),
    ("notice", NOTICE_URL),
    ("notice-final", "/ratings/2008/notice/"),
    ("objection-form", OBJECTION_URL),
    ("commendations", "/services/commendations/"),
    ("login", "/accounts/login/"),
]


def load_demo():
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    today = timezone.localdate()
    judge = get_user_model().objects.get(username="demo_judge")

    notice = example_round_without_its_sample_review()
    judged = list(
        Criterion.objects.filter(round=notice, tier=Tier.NORMATIVE, source=Criterion.Source.JUDGED)
    )
    make_assignment(round=notice, judge=judge, is_chair=True)
    for n, community in enumerate(Community.objects.order_by("code")):
        declaration = make_declaration(
            round=notice, community=community, target_tier=Tier.NORMATIVE
        )
        sheet = ScoreSheet.objects.create(judge=judge, declaration=declaration)
        for criterion in judged:
            Score.objects.create(sheet=sheet, criterion=criterion, points=criterion.max_points - n)
    # Every community reaches normative, so that the notice lists all ten (it announces
    # only the ratings reached).
    CutOff.objects.filter(round=notice, tier=Tier.NORMATIVE).update(min_score=20)
    Round.objects.filter(pk=notice.pk).update(
        status=RoundStatus.NOTICE,
        notice_starts_on=today - datetime.timedelta(days=1),
        notice_ends_on=today + datetime.timedelta(days=5),
        contact_phone="0571-65021234",
        contact_address="淳安县千岛湖镇新安东路1号",
    )

    review = make_round(
        code=REVIEW_CODE, year=REVIEW_YEAR, name=f"{REVIEW_YEAR}年度评定", status=RoundStatus.REVIEW
    )
    make_criterion(round=review, code="org", name="组织健全", max_points=20, sort_order=1)
    make_criterion(round=review, code="svc", name="五大服务网络运行", max_points=30, sort_order=2)
    make_declaration(round=review, community=Community.objects.get(code="xiyuan"))
    make_assignment(round=review, judge=judge)

    MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST).delete()


def submit_empty_objection(page):
    """The opinion form sent without its text: shown again with the error."""
    page.goto(OBJECTION_URL)
    page.locator("form.objection-form button[type='submit']").click()
    page.locator("#error-summary").wait_for()


def return_with_error(page):
    """The clerk's return saved with a figure below its minimum: shown again with the error.
    Returns the id of the field in error."""
    page.goto(RETURN_URL)
    field = page.locator(".return-table input[type='number']").first
    field.fill(str(int(float(field.get_attribute("min"))) - 1))
    page.locator("button[name='action'][value='save']").click()
    page.locator("#error-summary").wait_for()
    return field.get_attribute("id")


def sheet_with_error(page):
    """The judge's sheet saved with points over a maximum and one left empty.
    Returns the ids of the fields in error."""
    page.goto(SHEET_URL)
    fields = page.locator(".score-sheet input[type='number']")
    fields.first.fill("999")
    page.locator("form.score-sheet button[type='submit']").click()
    page.locator("#error-summary").wait_for()
    return [fields.nth(n).get_attribute("id") for n in range(fields.count())]


def log_in_as(page, username):
    """Log in, as someone else if someone is logged in already."""
    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
    log_in(page, username)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
