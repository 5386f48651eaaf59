"""A person's own pages (inbox, contact details, message settings) and the county's outbox:
what they show, what they refuse, and query counts that do not grow with the messages."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from communities.models import Role
from notifications.models import Delivery, DeliveryStatus, Kind, Message, Mode, Preference, Profile
from tests.html import soup
from tests.queries import NAV_QUERIES

pytestmark = pytest.mark.django_db


def _messages(user, n, **fields):
    return Message.objects.bulk_create(
        Message(
            recipient=user,
            kind=Kind.RETURN_SENT_BACK,
            subject=f"月报被退回 {i}",
            body="请修改。",
            **fields,
        )
        for i in range(n)
    )


def _deliveries(n, **fields):
    fields.setdefault("status", DeliveryStatus.SENT)
    fields.setdefault("body", "请按时报送。")
    return Delivery.objects.bulk_create(
        Delivery(
            kind=Kind.RETURN_DUE,
            to=f"clerk{i}@example.org",
            subject=f"月报即将到期 {i}",
            next_attempt_at=timezone.now(),
            **fields,
        )
        for i in range(n)
    )


def test_the_inbox_lists_the_users_own_messages_and_the_navigation_counts_the_unread(client, users):
    _messages(users["clerk"], 3)
    _messages(users["clerk"], 2, read_at=timezone.now())
    _messages(users["other_clerk"], 4)
    client.force_login(users["clerk"])

    page = soup(client.get(reverse("notifications:inbox")))

    assert len(page.select("#message-list li")) == 5
    assert len(page.select(".message-list__item--unread")) == 3
    inbox_link = page.select_one(f".work-nav a[href='{reverse('notifications:inbox')}']")
    assert inbox_link.select_one(".count-badge").get_text(strip=True) == "3"
    unread_only = soup(client.get(reverse("notifications:inbox"), {"unread": "on"}))
    assert len(unread_only.select("#message-list li")) == 3


@pytest.mark.parametrize("count", [1, 30])
def test_the_inbox_costs_the_same_queries_for_1_or_30_messages(
    client, users, django_assert_num_queries, count
):
    _messages(users["clerk"], count)
    client.force_login(users["clerk"])
    # Session and user, the user's scope; the page's count and rows; the navigation's (the
    # unread count with it, shared with the page).
    with django_assert_num_queries(3 + 2 + NAV_QUERIES[Role.CLERK]):
        assert client.get(reverse("notifications:inbox")).status_code == 200


def test_opening_a_message_marks_it_read_and_another_users_is_404(client, users):
    [mine] = _messages(users["clerk"], 1)
    [theirs] = _messages(users["other_clerk"], 1)
    client.force_login(users["clerk"])

    response = client.get(mine.get_absolute_url())
    assert "请修改。" in response.content.decode()
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(theirs.get_absolute_url()).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read_is_a_post_for_the_users_own(client, users):
    _messages(users["clerk"], 3)
    _messages(users["other_clerk"], 2)
    client.force_login(users["clerk"])
    assert client.get(reverse("notifications:read_all")).status_code == 405
    client.post(reverse("notifications:read_all"))
    assert not Message.objects.filter(recipient=users["clerk"], read_at=None).exists()
    assert Message.objects.filter(recipient=users["other_clerk"], read_at=None).count() == 2


def test_contact_details_take_a_full_width_mobile_and_refuse_a_landline(client, users):
    client.force_login(users["clerk"])
    url = reverse("notifications:account")
    data = {"email": "clerk@example.org", "phone": "0571-64812345", "sms": "on", "language": "en"}

    refused = client.post(url, data)
    assert refused.status_code == 400
    summary = soup(refused).select_one("#error-summary")
    assert "请输入手机号码，例如 138 1234 5678。" in summary.get_text()
    assert not Profile.objects.exists()

    client.post(url, {**data, "phone": "\uff11\uff13\uff18 1234 5678"})
    profile = Profile.objects.get(user=users["clerk"])
    assert (profile.phone, profile.sms, profile.language) == ("138 1234 5678", True, "en")
    users["clerk"].refresh_from_db()
    assert users["clerk"].email == "clerk@example.org"


def test_text_messages_need_a_mobile_number(client, users):
    client.force_login(users["clerk"])
    response = client.post(
        reverse("notifications:account"),
        {"email": "", "phone": "", "sms": "on", "language": "zh-hans"},
    )
    assert response.status_code == 400
    assert "如需接收短信，请填写手机号码。" in response.content.decode()


def test_preferences_are_kept_per_kind(client, users):
    client.force_login(users["clerk"])
    url = reverse("notifications:preferences")
    form = soup(client.get(url))
    kinds = sorted({box["name"] for box in form.select("#preferences-form input[type=radio]")})
    assert Kind.PASSWORD_CHANGED not in kinds and Kind.RETURN_SENT_BACK in kinds
    data = dict.fromkeys(kinds, Mode.EMAIL)
    data[Kind.RETURN_DUE] = Mode.DIGEST
    data[Kind.TERM_ENDING] = Mode.INBOX
    client.post(url, data)
    saved = dict(Preference.objects.filter(user=users["clerk"]).values_list("kind", "mode"))
    assert saved == data
    refused = client.post(url, {**data, Kind.RETURN_DUE: "fax"})
    assert refused.status_code == 400
    assert Preference.objects.get(user=users["clerk"], kind=Kind.RETURN_DUE).mode == Mode.DIGEST


@pytest.mark.parametrize(
    ("role", "kinds"),
    [
        (
            "clerk",
            [
                Kind.RETURN_SENT_BACK,
                Kind.RETURN_DUE,
                Kind.RETURN_OVERDUE,
                Kind.TERM_ENDING,
                Kind.DECLARATIONS_OPEN,
                Kind.DECLARATION_DEADLINE,
            ],
        ),
        (
            "township",
            [Kind.RETURNS_OVERDUE_AREA, Kind.RETURNS_WAITING, Kind.TERM_ENDING],
        ),
        ("county", [Kind.RETURNS_WAITING, Kind.NEW_OPINION, Kind.ADMISSION_DECISION]),
        ("judge", [Kind.SHEETS_ASSIGNED, Kind.SCORING_DEADLINE]),
    ],
)
def test_the_settings_offer_the_kinds_a_role_receives(client, users, role, kinds):
    client.force_login(users[role])
    form = soup(client.get(reverse("notifications:preferences"))).select_one("#preferences-form")
    offered = list(dict.fromkeys(box["name"] for box in form.select("input[type=radio]")))
    assert offered == [kind.value for kind in kinds]


@pytest.mark.parametrize("count", [1, 30])
def test_the_outbox_costs_the_same_queries_for_1_or_30_messages(
    client, users, django_assert_num_queries, count
):
    _deliveries(count)
    client.force_login(users["county"])
    # Session and user, the user's scope; the counts by status, the page's count and rows;
    # the navigation.
    with django_assert_num_queries(3 + 3 + NAV_QUERIES[Role.COUNTY]):
        response = client.get(reverse("portal:outbox"))
    rows = soup(response).select("#outbox-table tbody tr")
    assert len(rows) == min(count, settings.PAGE_SIZE)


def test_the_outbox_withholds_a_password_link_and_retries_only_a_failure(client, users):
    [secret] = _deliveries(1, sensitive=True, body="https://portal/accounts/reset/MQ/abc/")
    [failed] = _deliveries(1, status=DeliveryStatus.FAILED, attempts=8)
    client.force_login(users["county"])

    page = client.get(reverse("portal:outbox_detail", args=[secret.pk])).content.decode()
    assert "/accounts/reset/" not in page
    client.post(reverse("portal:outbox_retry", args=[secret.pk]))
    secret.refresh_from_db()
    assert secret.status == DeliveryStatus.SENT
    client.post(reverse("portal:outbox_retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)
    filtered = soup(client.get(reverse("portal:outbox"), {"status": "pending"}))
    assert [row["data-delivery"] for row in filtered.select("#outbox-table tbody tr")] == [
        str(failed.pk)
    ]
