"""The county's conflict-of-interest form on a round's page: its community picker is a select
for a county's few communities and a code-or-name box at province scale."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from communities.forms import SELECT_MAX
from communities.models import Community, Role
from ratings.models import ConflictOfInterest, RoundStatus
from tests.factories import make_township, make_user
from tests.ratings.factories import make_assignment, make_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(client, tree, users):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(users["county"])
    round_ = make_round(code="r", status=RoundStatus.REVIEW)
    judge = make_user(Role.JUDGE, username="judge-1")
    make_assignment(round=round_, judge=judge)
    return round_, judge


def _many(count):
    township = make_township(code="many", name="多社区镇")
    Community.objects.bulk_create(
        Community(township=township, code=f"m{n:03d}", name=f"多{n:03d}社区", founded_year=2002)
        for n in range(count)
    )


def _community_field(html):
    return re.search(r'<(?:select|input)[^>]*name="community"[^>]*>', html).group(0)


def test_conflict_form_lists_a_few_communities(client, panel):
    html = client.get(reverse("ratings:staff_round_detail", args=["r"])).content.decode()

    assert _community_field(html).startswith("<select")
    assert html.count("<option") == 2 + 4  # the judge and a blank, 3 communities and a blank


def test_conflict_form_at_scale_is_a_search_box(client, panel):
    _many(SELECT_MAX)

    html = client.get(reverse("ratings:staff_round_detail", args=["r"])).content.decode()

    assert _community_field(html).startswith('<input type="search"')
    assert html.count("<option") == 2


@pytest.mark.parametrize("text", ["m007", "多007社区"])
def test_conflict_declared_by_code_or_name_at_scale(client, panel, text):
    round_, judge = panel
    _many(SELECT_MAX)

    response = client.post(
        reverse("ratings:staff_conflict_declare", args=["r"]),
        {"judge": judge.pk, "community": text, "reason": "在该社区居住"},
    )

    assert response.status_code == 302
    conflict = ConflictOfInterest.objects.get(round=round_)
    assert (conflict.judge, conflict.community.code) == (judge, "m007")


def test_conflict_with_an_unknown_community_is_400_with_a_message(client, panel):
    _many(SELECT_MAX)

    response = client.post(
        reverse("ratings:staff_conflict_declare", args=["r"]),
        {"judge": panel[1].pk, "community": "nowhere", "reason": "在该社区居住"},
    )

    assert response.status_code == 400
    assert "No community in your area has this code or name." in response.content.decode()
    assert not ConflictOfInterest.objects.exists()


def test_conflict_form_not_built_when_the_panel_is_closed(client, panel):
    round_, _judge = panel
    round_.status = RoundStatus.FINAL
    round_.save()

    html = client.get(reverse("ratings:staff_round_detail", args=["r"])).content.decode()

    assert 'name="community"' not in html
