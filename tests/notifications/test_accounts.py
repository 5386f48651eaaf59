"""What happens to an account is told to its owner (notifications.account_events): a password
changed, an account disabled, a new account's link to set its own password; and what is
not an event: a log-in, a password re-hashed at a log-in, the demo loader run again."""

import re

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from communities.models import Role
from notifications.models import Delivery, Kind, Message
from tests.factories import PASSWORD, make_user
from tests.mail import run_worker

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "Another-long-passphrase-7"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/reset/[^/\s]+/[^/\s]+/)")


def _with_email(user, address=None):
    user.email = address or f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


def _change_form_data(response):
    """What the admin's change form sends back when nothing is edited."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if isinstance(bound.field, forms.BooleanField):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(bound.field, forms.SplitDateTimeField):
                moment = timezone.localtime(value)
                data[f"{bound.html_name}_0"] = f"{moment:%Y-%m-%d}"
                data[f"{bound.html_name}_1"] = f"{moment:%H:%M:%S}"
            elif value is not None:
                data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def _log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


# ---------- A password changed, an account disabled ----------


def test_own_password_change_reaches_the_inbox_and_the_smtp_server(client, users, mailbox):
    clerk = _with_email(users["clerk"])
    client.force_login(clerk)

    response = client.post(
        reverse("notifications:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:account")
    [message] = Message.objects.all()
    assert (message.recipient, message.kind, message.subject, message.url) == (
        clerk,
        Kind.PASSWORD_CHANGED,
        "您的密码已更改",
        reverse("password_reset"),
    )
    assert mailbox.messages == []

    run_worker()

    [mail] = mailbox.to("clerk@example.org")
    assert mail["Subject"].strip() == "您的密码已更改"
    text = mailbox.text(mail)
    assert "clerk" in text
    assert "http://127.0.0.1:8000/accounts/password-reset/" in text
    # A kind nobody can turn off: no link to the preferences.
    assert "/account/notifications/" not in text


def test_staff_setting_a_password_in_the_admin_tell_its_owner(client, users, mailbox):
    clerk = _with_email(users["clerk"])
    client.force_login(users["county"])

    response = client.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert Message.objects.get(recipient=clerk).kind == Kind.PASSWORD_CHANGED
    run_worker()
    assert [m["Subject"].strip() for m in mailbox.to("clerk@example.org")] == ["您的密码已更改"]


def test_disabling_an_account_in_the_admin_emails_its_owner(client, users, mailbox):
    clerk = _with_email(users["clerk"])
    client.force_login(users["county"])
    url = reverse("admin:auth_user_change", args=[clerk.pk])
    data = _change_form_data(client.get(url))
    del data["is_active"]

    response = client.post(url, data)

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.is_active is False
    # A disabled account has no inbox to read: by e-mail only.
    assert not Message.objects.exists()
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.to) == (Kind.ACCOUNT_DISABLED, "clerk@example.org")

    run_worker()

    [mail] = mailbox.to("clerk@example.org")
    assert mail["Subject"].strip() == "您的账号已停用"
    assert "账号已停用" in mail["Subject"]
    assert "clerk" in mailbox.text(mail)


def test_saving_an_account_unchanged_in_the_admin_sends_nothing(client, users, mailbox):
    clerk = _with_email(users["clerk"])
    client.force_login(users["county"])
    url = reverse("admin:auth_user_change", args=[clerk.pk])

    response = client.post(url, _change_form_data(client.get(url)))

    assert response.status_code == 302
    assert (Message.objects.count(), Delivery.objects.count()) == (0, 0)


# ---------- Not events ----------


def test_a_log_in_sends_nothing(client, users, mailbox):
    clerk = _with_email(users["clerk"])

    response = _log_in(client, "clerk", PASSWORD)

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.last_login is not None
    assert (Message.objects.count(), Delivery.objects.count()) == (0, 0)


def test_a_log_in_that_rehashes_the_password_sends_nothing(client, users, settings, mailbox):
    # The stored hash is of a hasher no longer preferred: Django re-hashes the password at
    # the log-in (as after an upgrade that raises the iterations); the password is the same.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ]
    clerk = _with_email(users["clerk"])
    User.objects.filter(pk=clerk.pk).update(password=make_password(PASSWORD, hasher="scrypt"))

    response = _log_in(client, "clerk", PASSWORD)

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.password.startswith("md5$")
    assert (Message.objects.count(), Delivery.objects.count()) == (0, 0)


def test_the_demo_loader_run_again_tells_the_demo_accounts_nothing(settings, mailbox):
    call_command("load_chunan", demo_accounts=True, verbosity=0)
    demo = User.objects.filter(username__startswith="demo_")
    assert demo.count() == 4
    # As a real installation would: the demo accounts have e-mail addresses, and the
    # portal has moved on to a newer password hasher since the first load.
    for user in demo:
        _with_email(user)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    hashes = dict(demo.values_list("username", "password"))

    call_command("load_chunan", demo_accounts=True, verbosity=0)

    assert dict(demo.values_list("username", "password")) == hashes
    assert not Message.objects.filter(kind=Kind.PASSWORD_CHANGED).exists()
    assert not Delivery.objects.exists()
    run_worker()
    assert mailbox.messages == []


# ---------- New accounts: a link to set the password ----------


def _add_user(client, tree, **overrides):
    data = {
        "username": "new_clerk",
        "email": "new_clerk@example.org",
        "usable_password": "false",
        "scope-TOTAL_FORMS": "1",
        "scope-INITIAL_FORMS": "0",
        "scope-0-role": Role.CLERK,
        "scope-0-community": tree["home"].pk,
    }
    data.update(overrides)
    return client.post(reverse("admin:auth_user_add"), data)


def test_the_add_form_offers_an_account_without_a_password(client, users):
    client.cookies["django_language"] = "en"
    client.force_login(users["county"])

    response = client.get(reverse("admin:auth_user_add"))

    form = response.context["adminform"].form
    assert list(form.fields)[:5] == [
        "username",
        "email",
        "usable_password",
        "password1",
        "password2",
    ]
    field = form.fields["usable_password"]
    assert field.choices == [
        ("true", "Enabled"),
        ("false", "Disabled: e-mail a link to set the password"),
    ]
    assert field.help_text == (
        "Disabled: the person is e-mailed a link to choose their own password, and nobody "
        "else ever knows it; give their e-mail address above. Enabled: you choose the first "
        "password here and pass it on to them."
    )
    assert "Disabled: e-mail a link to set the password" in response.content.decode()


def test_the_add_form_in_chinese_does_not_call_the_choice_a_household_category(client, users):
    client.force_login(users["county"])

    response = client.get(reverse("admin:auth_user_add"))

    assert "残疾人" not in response.content.decode()


def test_a_new_account_without_a_password_sets_its_own_from_the_link(client, users, tree, mailbox):
    client.force_login(users["county"])

    response = _add_user(client, tree)

    assert response.status_code == 302
    created = User.objects.get(username="new_clerk")
    assert (created.has_usable_password(), created.scope.community) == (False, tree["home"])
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.to, delivery.sensitive) == (
        Kind.SET_PASSWORD,
        "new_clerk@example.org",
        True,
    )
    assert not Message.objects.exists()
    client.logout()

    run_worker()

    [mail] = mailbox.to("new_clerk@example.org")
    assert mail["Subject"].strip() == "淳安社区建设管理平台账号：请设置密码"
    [link] = LINK.findall(mailbox.text(mail))
    opened = client.get(link)
    assert opened.status_code == 302
    set_password = opened["Location"]
    assert set_password.endswith("/set-password/")
    page = client.get(set_password)
    assert (page.status_code, page.context["validlink"]) == (200, True)
    saved = client.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert saved["Location"] == reverse("password_reset_complete")
    assert _log_in(client, "new_clerk", NEW_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(created.pk)
    # The link worked once.
    client.logout()
    assert client.get(link, follow=True).context["validlink"] is False


def test_a_new_account_without_a_password_needs_an_email(client, users, tree):
    client.cookies["django_language"] = "en"
    client.force_login(users["county"])

    response = _add_user(client, tree, email="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": [
            "Enter the person's e-mail address: with password-based authentication "
            "disabled, the link to set a password is sent to it."
        ]
    }
    assert not User.objects.filter(username="new_clerk").exists()
    assert not Delivery.objects.exists()


def test_a_new_account_with_a_password_gets_no_link(client, users, tree):
    client.force_login(users["county"])

    response = _add_user(
        client,
        tree,
        email="",
        usable_password="true",
        password1=NEW_PASSWORD,
        password2=NEW_PASSWORD,
    )

    assert response.status_code == 302
    assert User.objects.get(username="new_clerk").check_password(NEW_PASSWORD)
    assert not Delivery.objects.exists()


def test_the_action_sends_links_and_names_the_accounts_it_could_not(client, users, mailbox):
    _with_email(users["clerk"])
    _with_email(users["township"])
    judge = users["judge"]
    judge.is_active = False
    judge.save(update_fields=["is_active"])
    root = make_user(None, username="root", is_superuser=True, email="root@example.org")
    chosen = [users[name].pk for name in ("clerk", "township", "other_clerk", "judge")]
    client.cookies["django_language"] = "en"
    client.force_login(users["county"])

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_set_password_links", "_selected_action": [*chosen, root.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "A link to set the password was e-mailed to 2 accounts.",
        "No link was sent to other_clerk: no e-mail address. Enter the address on the "
        "account, then send the link again.",
        "No link was sent to judge: the account is disabled.",
        "No link was sent to root: only a superuser may change a superuser.",
    ]
    run_worker()
    assert sorted(m.rcpt_tos[0] for m in mailbox.messages) == [
        "clerk@example.org",
        "township@example.org",
    ]
    [link] = LINK.findall(mailbox.text(mailbox.to("clerk@example.org")[0]))
    assert client.get(link).status_code == 302


@pytest.mark.parametrize("role", ["township", "clerk"])
def test_the_action_is_refused_to_others(client, users, role, mailbox):
    _with_email(users["clerk"])
    client.force_login(users[role])

    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_set_password_links", "_selected_action": [users["clerk"].pk]},
    )

    assert response.status_code == 403
    assert not Delivery.objects.exists()
