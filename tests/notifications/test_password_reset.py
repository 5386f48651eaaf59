"""A forgotten password, end to end: from the log-in page's link, through the e-mail the
worker sends to a real SMTP server, to a log-in with the new password. The page answers the
same whether the address belongs to an account or not; an address gets at most
RESETS_PER_ADDRESS e-mails an hour, a client CHUNAN_PASSWORD_RESETS_PER_HOUR requests."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications.forms import RESETS_PER_ADDRESS
from notifications.models import Delivery, Kind, Message
from tests.factories import PASSWORD
from tests.html import soup
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW_PASSWORD = "Another-long-passphrase-7"
ADDRESS = "clerk@example.org"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/reset/[^/\s]+/[^/\s]+/)")
RESET = "/accounts/password-reset/"


@pytest.fixture(autouse=True)
def _clock():
    # The per-client count is kept per clock hour: the tests start at the top of one.
    with time_machine.travel(START, tick=True):
        yield


@pytest.fixture
def clerk(users):
    clerk = users["clerk"]
    clerk.email = ADDRESS
    clerk.save(update_fields=["email"])
    return clerk


def _ask(client, email, **extra):
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def _link_in_mail(mailbox) -> str:
    [mail] = mailbox.to(ADDRESS)
    [link] = LINK.findall(mailbox.text(mail))
    return link


def _summary(response) -> list[str]:
    return [" ".join(item.text.split()) for item in soup(response).select("#error-summary li")]


def test_a_forgotten_password_is_reset_from_the_log_in_page(client, clerk, mailbox):
    login_page = client.get(reverse("login"))
    forgot = soup(login_page).select_one("#forgot-password")
    assert forgot["href"] == RESET == reverse("password_reset")
    assert client.get(RESET).status_code == 200

    asked = _ask(client, ADDRESS)

    assert asked.status_code == 302
    assert asked["Location"] == reverse("password_reset_done")
    done = client.get(asked["Location"])
    assert done.templates[0].name == "registration/password_reset_done.html"
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.to, delivery.sensitive) == (
        Kind.PASSWORD_RESET,
        ADDRESS,
        True,
    )
    assert mailbox.messages == []  # sent by the worker, not in the request

    run_worker()

    [mail] = mailbox.to(ADDRESS)
    assert mail["Subject"].strip() == "重置淳安社区建设管理平台的密码"
    link = _link_in_mail(mailbox)
    opened = client.get(link)
    # Django puts the token in the session and shows a URL without it.
    assert opened.status_code == 302
    set_password = opened["Location"]
    assert set_password.endswith("/set-password/")
    assert "set-password" not in link
    form_page = client.get(set_password)
    assert (form_page.status_code, form_page.context["validlink"]) == (200, True)
    saved = client.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert saved["Location"] == reverse("password_reset_complete")
    complete = client.get(saved["Location"])
    assert complete.status_code == 200
    assert complete.templates[0].name == "registration/password_reset_complete.html"

    old = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert old.status_code == 200
    assert "_auth_user_id" not in client.session
    new = client.post(reverse("login"), {"username": "clerk", "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_a_reset_password_is_told_to_its_owner(client, clerk, mailbox):
    _ask(client, ADDRESS)
    run_worker()
    set_password = client.get(_link_in_mail(mailbox))["Location"]
    mailbox.clear()

    client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    [message] = Message.objects.all()
    assert (message.recipient, message.kind, message.subject) == (
        clerk,
        Kind.PASSWORD_CHANGED,
        "您的密码已更改",
    )
    run_worker()
    assert [m["Subject"].strip() for m in mailbox.to(ADDRESS)] == ["您的密码已更改"]


def test_an_unknown_address_gets_the_same_page_and_no_email(client, clerk, mailbox):
    known = _ask(client, ADDRESS)
    known_page = client.get(known["Location"])
    Delivery.objects.all().delete()

    unknown = _ask(client, "nobody@example.org")
    unknown_page = client.get(unknown["Location"])

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [t.name for t in unknown_page.templates] == [t.name for t in known_page.templates]
    assert unknown_page.content == known_page.content
    assert not Delivery.objects.exists()
    run_worker()
    assert mailbox.messages == []


def test_a_disabled_account_gets_no_link(client, clerk, mailbox):
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    mailbox.clear()

    response = _ask(client, ADDRESS)

    assert response["Location"] == reverse("password_reset_done")
    assert not Delivery.objects.filter(kind=Kind.PASSWORD_RESET).exists()


def test_one_address_gets_at_most_three_emails_an_hour(client, clerk, mailbox):
    assert RESETS_PER_ADDRESS == 3
    responses = [_ask(client, ADDRESS) for _ in range(RESETS_PER_ADDRESS + 1)]

    assert [r["Location"] for r in responses] == [reverse("password_reset_done")] * 4
    assert Delivery.objects.filter(kind=Kind.PASSWORD_RESET, to=ADDRESS).count() == 3
    run_worker()
    assert len(mailbox.to(ADDRESS)) == 3
    # An hour on, the address may ask again.
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, seconds=1)):
        _ask(client, ADDRESS, REMOTE_ADDR="203.0.113.9")
    assert Delivery.objects.filter(kind=Kind.PASSWORD_RESET, to=ADDRESS).count() == 4


def test_one_client_address_asks_at_most_the_limit_an_hour(client, clerk, settings):
    settings.CHUNAN_PASSWORD_RESETS_PER_HOUR = 2
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first = _ask(client, "nobody@example.org", REMOTE_ADDR="203.0.113.5")
    second = _ask(client, "nobody@example.org", REMOTE_ADDR="203.0.113.5")

    third = _ask(client, ADDRESS, REMOTE_ADDR="203.0.113.5")

    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)
    assert _summary(third) == [
        "Too many password resets were asked for from your address in the last hour. "
        "Please try again later, or ask county staff."
    ]
    assert third.context["form"]["email"].value() == ADDRESS
    assert not Delivery.objects.exists()
    # Another client is not held back.
    other = _ask(client, ADDRESS, REMOTE_ADDR="203.0.113.6")
    assert other.status_code == 302
    assert Delivery.objects.get().to == ADDRESS


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("", "Email: This field is required."),
        ("clerk at example", "Email: Enter a valid email address."),
    ],
)
def test_bad_input_gets_400_and_the_error_summary(client, clerk, email, error):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = _ask(client, email)

    assert response.status_code == 400
    assert soup(response).select_one("#error-summary-heading").text == "The link was not sent."
    assert _summary(response) == [error]
    assert soup(response).select_one("#error-summary a")["href"] == "#id_email"
    assert not Delivery.objects.exists()


def test_a_made_up_link_no_longer_works(client, clerk):
    response = client.get(
        reverse("password_reset_confirm", kwargs={"uidb64": "MTIz", "token": "abc-def"})
    )

    assert (response.status_code, response.context["validlink"]) == (200, False)
    assert soup(response).select_one("main h1").text == "该链接已失效"


def test_an_expired_link_no_longer_works(client, clerk, mailbox):
    _ask(client, ADDRESS)
    run_worker()
    link = _link_in_mail(mailbox)
    # A day past the timeout: Django's tokens read the naive local clock, which time-machine
    # may put some hours off the aware one.
    later = timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT, days=1)

    with time_machine.travel(later):
        response = client.get(link)

    assert (response.status_code, response.context["validlink"]) == (200, False)
    assert soup(response).select_one("main h1").text == "该链接已失效"
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


def test_a_used_link_no_longer_works(client, clerk, mailbox):
    _ask(client, ADDRESS)
    run_worker()
    link = _link_in_mail(mailbox)
    set_password = client.get(link)["Location"]
    client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(link, follow=True)

    assert response.context["validlink"] is False
    assert soup(response).select_one("main h1").text == "该链接已失效"
