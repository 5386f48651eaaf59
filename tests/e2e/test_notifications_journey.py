"""Being told, in a real browser (issue 15): the township sends 西园's return back; its clerk
sees the unread count in the navigation, opens the message with the reason, and the e-mail
has reached the SMTP server. And a clerk who forgot the password sets a new one from the
log-in page and the e-mailed link.

Everything is clicked from the home page; the only address typed is the e-mailed link, which
a person follows from their mail."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import expect

from chunan_community.months import add_months, month_start
from communities.models import MonthlyReturn
from notifications.models import Message
from tests.e2e.journeys import fill_as_the_demo
from tests.e2e.test_workplace_journeys import fits_a_phone, log_in_from_home, work_nav
from tests.mail import run_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAST = add_months(month_start(timezone.localdate()), -1)
CLERK_MAIL = "demo_clerk@chunan.invalid"
REASON = "户数比上月少了很多，请与网格员核对后重新报送。"


@pytest.fixture
def demo(live_server, mailbox):
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    MonthlyReturn.objects.filter(community__code="xiyuan", period=LAST).delete()
    # What the demo's load wrote goes out first: the journey counts what it causes itself.
    run_worker()
    mailbox.clear()
    return mailbox


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_a_return_sent_back_reaches_the_clerk_by_inbox_and_email(english, screenshot, demo):
    page = english
    with override("en"):
        month_label = date_format(LAST, "YEAR_MONTH_FORMAT")

    # The clerk submits last month's return.
    log_in_from_home(page, "demo_clerk")
    work_nav(page).get_by_role("link", name="Monthly returns", exact=True).click()
    page.get_by_role("link", name=month_label, exact=True).click()
    fill_as_the_demo(page, "xiyuan", LAST)
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#return-status")).to_have_text("Submitted")
    log_out(page)

    # The township finds it and sends it back with a reason.
    log_in_from_home(page, "demo_township")
    work_nav(page).get_by_role("link", name="Monthly returns", exact=True).click()
    filters = page.get_by_role("search")
    filters.get_by_label("Community").select_option(label="Xiyuan Community")
    filters.get_by_label("Month").fill(f"{LAST:%Y-%m}")
    filters.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Xiyuan Community", exact=True).click()
    page.get_by_label("Reason for sending it back (the community sees it)").fill(REASON)
    page.get_by_role("button", name="Send back to the community").click()
    expect(page.locator(".messages")).to_contain_text("Sent back to the community")
    log_out(page)

    # The worker sends the e-mail (make run runs it beside the web server).
    run_worker()
    [mail] = demo.to(CLERK_MAIL)
    assert REASON in demo.text(mail)
    assert f"/returns/xiyuan/{LAST:%Y-%m}/" in demo.text(mail)

    # The clerk sees the unread count, opens the inbox and the message.
    log_in_from_home(page, "demo_clerk")
    unread = Message.objects.filter(recipient__username="demo_clerk", read_at=None).count()
    inbox = work_nav(page).get_by_role("link", name=re.compile("^Inbox"))
    expect(inbox.locator(".count-badge")).to_have_text(str(unread))
    fits_a_phone(page, screenshot, "notifications-clerk-todo", ".count-badge")
    inbox.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    screenshot("notifications-inbox")
    fits_a_phone(page, screenshot, "notifications-inbox", "#message-list a")
    page.locator("#message-list li", has_text="A return sent back").locator("a").first.click()
    expect(page.locator("#message")).to_contain_text(REASON)
    screenshot("notifications-message")
    page.get_by_role("link", name="Open the page").click()
    expect(page).to_have_url(re.compile(rf"/returns/xiyuan/{LAST:%Y-%m}/$"))
    expect(page.locator("#return-status")).to_have_text("Sent back")
    expect(
        work_nav(page).get_by_role("link", name=re.compile("^Inbox")).locator(".count-badge")
    ).to_have_count(1 if unread > 1 else 0)


def test_a_forgotten_password_is_reset_from_the_log_in_page(page, screenshot, demo):
    page.goto("/")
    page.get_by_role("link", name="登录").click()
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_label("电子邮件").fill(CLERK_MAIL)
    page.get_by_role("button", name="发送链接").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("请查收邮件")
    screenshot("notifications-reset-sent")

    run_worker()
    [mail] = demo.to(CLERK_MAIL)
    link = re.search(r"http://\S+/accounts/reset/\S+/", demo.text(mail))[0]
    # The link names the portal's public address (CHUNAN_SITE_URL); here, the live server.
    page.goto(urlsplit(link).path)
    page.get_by_label(re.compile(r"^新密码[:：]")).fill("西园社区-新密码-2026")
    page.get_by_label(re.compile(r"^新密码确认")).fill("西园社区-新密码-2026")
    page.get_by_role("button", name="保存密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("密码已保存")
    page.get_by_role("link", name="登录").last.click()
    page.get_by_label(re.compile(r"^用户名")).fill("demo_clerk")
    page.get_by_label(re.compile(r"^密码")).fill("西园社区-新密码-2026")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/manage/todo/$"))
