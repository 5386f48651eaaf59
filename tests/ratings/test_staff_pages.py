"""Staff and judging pages: criterion names in the page's language, and confirming a round
while opinions still wait for moderation."""

import datetime
import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from communities.models import Role
from ratings.models import Objection, Rating, Round, RoundEvent, RoundStatus
from tests.factories import make_user
from tests.html import error_summary_at_top
from tests.ratings.factories import (
    make_assignment,
    make_criterion,
    make_declaration,
    make_round,
)

pytestmark = pytest.mark.django_db


# ---------- Criterion names ----------


def _render_local_name(criterion, language):
    template = Template("{% load ratings_extras %}{{ criterion|local_name }}")
    with translation.override(language):
        return template.render(Context({"criterion": criterion}))


@pytest.mark.parametrize(
    ("language", "name_en", "expected"),
    [
        ("en", "Sound organisation", "Sound organisation"),
        ("en", "", "组织健全"),
        ("zh-hans", "Sound organisation", "组织健全"),
    ],
)
def test_local_name_filter_by_language(language, name_en, expected):
    criterion = make_criterion(name="组织健全", name_en=name_en)

    assert _render_local_name(criterion, language) == expected


def _sheet_criteria(client, url):
    content = client.get(url).content.decode()
    table = re.search(r'class="data-table score-sheet__table">(.*?)</table>', content, re.S)
    return re.findall(r"<label for=\"id_points_\w+\">(.*?)</label>", table.group(1))


def test_judging_sheet_criteria_in_english(client, tree):
    round_ = make_round(code="r", status=RoundStatus.REVIEW)
    make_criterion(round=round_, name="组织健全", name_en="Sound organisation", sort_order=1)
    make_criterion(round=round_, name="服务网络", name_en="", sort_order=2)
    make_declaration(round=round_, community=tree["home"])
    judge = make_user(Role.JUDGE)
    make_assignment(round=round_, judge=judge)
    client.force_login(judge)
    url = reverse("ratings:judging_sheet", kwargs={"code": "r", "community": "home"})

    chinese = _sheet_criteria(client, url)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _sheet_criteria(client, url)

    assert chinese == ["组织健全", "服务网络"]
    # A criterion without an English name stays Chinese, marked as such (WCAG 3.1.2).
    assert english == ["Sound organisation", '<span lang="zh-Hans">服务网络</span>']


# ---------- Confirming with opinions pending ----------

TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def ended_notice(monkeypatch):
    """A round under notice whose notice ended yesterday (no declarations: nothing to rate)."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: TODAY)
    return make_round(
        code="r",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - datetime.timedelta(days=8),
        notice_ends_on=TODAY - datetime.timedelta(days=1),
    )


def _objection(round_, status=Objection.Status.PENDING):
    return Objection.objects.create(
        round=round_, text="请核实活动用房面积。", sender_hash="0" * 64, status=status
    )


@pytest.fixture
def county_client(client, users):
    client.force_login(users["county"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


URL = reverse("ratings:staff_round_confirm", kwargs={"code": "r"})


def test_confirm_page_warns_of_pending_opinions(county_client, ended_notice):
    _objection(ended_notice)
    _objection(ended_notice)
    _objection(ended_notice, status=Objection.Status.PUBLISHED)

    content = county_client.get(URL).content.decode()

    warning = re.search(r'id="confirm-pending">(.*?)</div>', content, re.S).group(1)
    assert "2 opinions on this round are still waiting for moderation." in warning
    link = reverse("ratings:objection_list", kwargs={"code": "r"}) + "?status=pending"
    assert f'href="{link}"' in warning
    assert 'name="objections_considered"' in content


def test_confirm_page_without_pending_opinions_has_no_warning(county_client, ended_notice):
    _objection(ended_notice, status=Objection.Status.HIDDEN)

    content = county_client.get(URL).content.decode()

    assert 'id="confirm-pending"' not in content
    assert 'name="objections_considered"' not in content


def test_confirm_refused_while_opinions_pending_without_the_tick(county_client, ended_notice):
    _objection(ended_notice)

    response = county_client.post(URL, {"note": ""})

    assert response.status_code == 400
    [(href, text)] = error_summary_at_top(response)
    assert href == "#id_objections_considered"
    assert "1 opinion is still waiting for moderation" in text
    assert Round.objects.get(pk=ended_notice.pk).status == RoundStatus.NOTICE
    assert not RoundEvent.objects.filter(round=ended_notice).exists()


def test_confirm_with_the_tick_while_opinions_pending(county_client, ended_notice):
    _objection(ended_notice)

    response = county_client.post(URL, {"note": "已逐条考虑", "objections_considered": "on"})

    assert response.status_code == 302
    assert Round.objects.get(pk=ended_notice.pk).status == RoundStatus.FINAL
    assert RoundEvent.objects.get(round=ended_notice).note == "已逐条考虑"
    assert Rating.objects.filter(round=ended_notice).count() == 0


def test_confirm_without_pending_opinions_needs_no_tick(county_client, ended_notice):
    _objection(ended_notice, status=Objection.Status.PUBLISHED)

    response = county_client.post(URL, {"note": ""})

    assert response.status_code == 302
    assert Round.objects.get(pk=ended_notice.pk).status == RoundStatus.FINAL
