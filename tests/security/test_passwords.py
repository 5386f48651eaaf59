"""Password rules: at least 10 characters, not common, not all digits, not like the user's
name, and at least two kinds of character. Every place a password is set in the portal (the
admin's new user, the admin's password change for another user, one's own change) refuses a
weak one with the reason."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from chunan_community.accounts import CharacterClassesValidator
from communities.models import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TOO_SHORT = "This password is too short. It must contain at least 10 characters."
COMMON = "This password is too common."
NUMERIC = "This password is entirely numeric."
SIMILAR = "The password is too similar to the username."
UNIFORM = (
    "This password uses too few kinds of character: mix at least 2 of lower-case letters, "
    "upper-case letters, digits and other characters."
)
GOOD = "Community-2026!"

WEAK = [
    ("Sh0rt-pw", [TOO_SHORT]),
    ("Password123", [COMMON]),
    ("qwertyuiop", [COMMON, UNIFORM]),
    ("8302749165", [NUMERIC, UNIFORM]),
    ("Zhangwei-2026", [SIMILAR]),
    ("abcdefghxyzq", [UNIFORM]),
    ("社区建设很重要我们大家", [UNIFORM]),
]


@pytest.fixture
def county(client, users):
    client.cookies["django_language"] = "en"
    client.force_login(users["county"])
    return client


def _add_user(client, password):
    return client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "zhangwei",
            "usable_password": "true",
            "password1": password,
            "password2": password,
            "scope-TOTAL_FORMS": "0",
            "scope-INITIAL_FORMS": "0",
        },
    )


@pytest.mark.parametrize(("password", "errors"), WEAK)
def test_password_admin_new_user_refuses_weak(county, password, errors):
    response = _add_user(county, password)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["password2"] == errors
    assert not get_user_model().objects.filter(username="zhangwei").exists()


def test_password_admin_new_user_accepts_strong(county):
    response = _add_user(county, GOOD)

    assert response.status_code == 302
    assert get_user_model().objects.get(username="zhangwei").check_password(GOOD)


@pytest.mark.parametrize(("password", "errors"), WEAK)
def test_password_admin_change_refuses_weak(county, password, errors):
    user = make_user(None, username="zhangwei")

    response = county.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": password, "password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_admin_change_accepts_strong(county):
    user = make_user(None, username="zhangwei")

    response = county.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"usable_password": "true", "password1": GOOD, "password2": GOOD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(GOOD)


@pytest.mark.parametrize(("password", "errors"), [WEAK[0], WEAK[5]])
def test_password_own_change_refuses_weak(client, password, errors):
    user = make_user(Role.COUNTY, username="zhangwei")
    client.cookies["django_language"] = "en"
    client.force_login(user)

    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"] == errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("password", "kinds"),
    [
        ("abcdefghij", 1),
        ("ABCDEFGHIJ", 1),
        ("社区建设很重要我们大家", 1),
        ("abcdeFGHIJ", 2),
        ("abcdefghi1", 2),
        ("abcdefghi ", 2),
        ("社区建设2026年度", 2),
        ("Abc-1", 4),
    ],
)
def test_password_character_kinds_counted(password, kinds):
    accepted = []
    for required in (1, 2, 3, 4):
        try:
            CharacterClassesValidator(min_classes=required).validate(password)
            accepted.append(required)
        except ValidationError:
            pass

    assert accepted == list(range(1, kinds + 1))


def test_password_rules_are_explained_on_the_form(county):
    response = county.get(reverse("admin:auth_user_add"))

    with translation.override("en"):
        texts = password_validators_help_texts()
    page = response.content.decode()
    assert (
        "Your password must mix at least 2 of: lower-case letters, upper-case letters, "
        "digits, other characters." in texts
    )
    assert "Your password must contain at least 10 characters." in texts
    assert all(text in page.replace("&#x27;", "'") for text in texts)
