"""The demo clerk's journey and the language switcher, in a real browser."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The ten communities named in the 2009 speech.
COMMUNITIES = [
    "西园社区",
    "南苑社区",
    "火炉尖社区",
    "江滨社区",
    "望湖社区",
    "李家坞社区",
    "新北社区",
    "施家塘社区",
    "杨旗社区",
    "虹桥社区",
]


@pytest.fixture
def demo_data():
    call_command("load_chunan", demo_accounts=True, verbosity=0)


def test_clerk_sees_own_community_only(page, screenshot, demo_data):
    log_in(page, "demo_clerk")
    expect(page).to_have_url(re.compile(r"/manage/todo/$"))
    page.get_by_role("list", name="我的工作").get_by_role("link", name="本社区", exact=True).click()

    expect(page).to_have_url(re.compile(r"/manage/communities/xiyuan/$"))
    expect(page.locator("main h1")).to_contain_text("西园社区")
    screenshot("clerk-workspace")

    response = page.goto("/manage/communities/nanyuan/")
    assert response.status == 404
    expect(page.locator("main h1")).to_have_text("页面不存在")
    expect(page.locator("main")).not_to_contain_text("南苑")
    screenshot("clerk-other-community-404")

    page.goto("/communities/")
    main = page.locator("main")
    for name in COMMUNITIES:
        expect(main.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(main.get_by_role("link", name=re.compile("社区$"))).to_have_count(len(COMMUNITIES))


def test_visitor_switches_to_english(page, screenshot, demo_data):
    page.goto("/communities/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="社区", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Communities", exact=True)).to_have_count(0)

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(re.compile(r"/communities/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(nav.get_by_role("link", name="Communities", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Xiyuan Community")
    expect(page.locator("main")).not_to_contain_text("西园社区")
    screenshot("visitor-english")
