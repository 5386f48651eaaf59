"""The five service networks and the service outlets on a community's public profile."""

import datetime
import re
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Community
from operations.demo import services as demo
from services.models import ServiceNetwork, ServiceOutlet
from tests.factories import make_community, make_household, make_user, make_volunteer

pytestmark = pytest.mark.django_db

Kind = ServiceNetwork.Kind
NOT_RECORDED = "\N{EN DASH} not recorded"


@pytest.fixture(autouse=True)
def english_pages(client):
    """The pages in English, so that the English source text can be asserted."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _outlet(community, name, kind=ServiceOutlet.Kind.CONVENIENCE, **kwargs):
    kwargs.setdefault("address", f"淳安县千岛湖镇{name}路1号")
    kwargs.setdefault("opening_hours", "每日 7:00-20:00")
    kwargs.setdefault("contact", "0571-0000 0000")
    return ServiceOutlet.objects.create(community=community, name=name, kind=kind, **kwargs)


def _section(response):
    content = response.content.decode()
    start = content.index('<section aria-labelledby="networks-heading">')
    return content[start : content.index("</section>", start)]


def _text(html):
    html = re.sub(r'<span lang="zh-Hans">([^<]*)</span>', r"\1", html)  # a Chinese term, inline
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _rows(section):
    """(network, established, since) per row of the networks table."""
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    return [
        tuple(_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S))
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _outlets(section):
    """The outlets as they read, grouped under their kind."""
    groups = {}
    for kind, items in re.findall(r"<h4>(.*?)</h4>\s*<ul[^>]*>(.*?)</ul>", section, re.S):
        groups[kind] = [_text(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", items, re.S)]
    return groups


def test_profile_shows_the_five_networks_with_established_and_since(client):
    community = make_community(figures_are_sample=False)
    ServiceNetwork.objects.create(
        community=community,
        kind=Kind.SOCIAL_ASSISTANCE,
        established=True,
        established_on=datetime.date(2004, 5, 1),
    )
    ServiceNetwork.objects.create(community=community, kind=Kind.CONVENIENCE, established=True)
    ServiceNetwork.objects.create(community=community, kind=Kind.REEMPLOYMENT, established=False)

    section = _section(client.get(community.get_absolute_url()))

    assert 'Service networks (<span lang="zh-Hans">五大服务网络</span>)' in section
    assert "2 of the 5 service networks are established." in _text(section)
    assert _rows(section) == [
        ("Social assistance (社会救助)", "✓ Yes", "2004-05-01"),
        ("Convenience services (便民利民)", "✓ Yes", NOT_RECORDED),
        ("Socialised services (社会化服务)", "✗ No", NOT_RECORDED),
        ("Re-employment and social security (再就业和社会保障)", "✗ No", NOT_RECORDED),
        ("Co-building (共建)", "✗ No", NOT_RECORDED),
    ]
    assert "Sample data" not in section


def test_profile_lists_exactly_the_community_outlets_by_kind(client):
    community = make_community(figures_are_sample=False)
    other = make_community()
    _outlet(community, "西园社区卫生服务站", ServiceOutlet.Kind.HEALTH, is_sample=True)
    _outlet(community, "西园社区便民服务网点", contact="0571-1234 5678")
    _outlet(community, "西园社区健身房", ServiceOutlet.Kind.GYM, opening_hours="", contact="")
    _outlet(other, "别的社区文化活动站", ServiceOutlet.Kind.CULTURE)

    section = _section(client.get(community.get_absolute_url()))

    assert _outlets(section) == {
        "Convenience outlet": [
            "西园社区便民服务网点 Address 淳安县千岛湖镇西园社区便民服务网点路1号 "
            "Opening hours 每日 7:00-20:00 Telephone 0571-1234 5678"
        ],
        "Health station": [
            "西园社区卫生服务站 Sample data Address 淳安县千岛湖镇西园社区卫生服务站路1号 "
            "Opening hours 每日 7:00-20:00 Telephone 0571-0000 0000"
        ],
        "Gym": ["西园社区健身房 Address 淳安县千岛湖镇西园社区健身房路1号"],
    }
    assert 'href="tel:0571-12345678"' in section
    assert "别的社区" not in section
    assert section.count("Sample data") == 1


def test_profile_without_networks_or_outlets_says_so(client):
    community = make_community(figures_are_sample=False)

    section = _section(client.get(community.get_absolute_url()))

    assert "0 of the 5 service networks are established." in _text(section)
    assert [row[1] for row in _rows(section)] == ["✗ No"] * 5
    assert "No service outlets have been recorded." in section


def test_profile_networks_show_no_personal_data(client):
    community = make_community()
    make_household(community=community, household_name="张三明", phone="13812345678")
    make_volunteer(community=community, name="李四华", phone="13987654321")
    _outlet(community, "社区文化活动站", ServiceOutlet.Kind.CULTURE)

    content = client.get(community.get_absolute_url()).content.decode()

    for personal in ("张三明", "13812345678", "李四华", "13987654321", "张*明", "138****5678"):
        assert personal not in content


def test_workspace_shows_the_networks_too(client):
    community = make_community()
    _outlet(community, "社区健身房", ServiceOutlet.Kind.GYM)
    client.force_login(make_user("county"))

    response = client.get(community.get_workspace_url())

    assert response.status_code == 200
    assert _outlets(_section(response)) == {
        "Gym": [
            "社区健身房 Address 淳安县千岛湖镇社区健身房路1号 Opening hours 每日 7:00-20:00 "
            "Telephone 0571-0000 0000"
        ]
    }


def _profile_queries(client, community):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(community.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


def test_profile_query_count_is_the_same_for_1_and_15_outlets(client):
    few, many = make_community(), make_community()
    for kind in Kind:
        ServiceNetwork.objects.create(community=few, kind=kind, established=True)
        ServiceNetwork.objects.create(community=many, kind=kind, established=True)
    _outlet(few, "唯一网点")
    for n in range(15):
        _outlet(many, f"网点{n}", list(ServiceOutlet.Kind)[n % len(ServiceOutlet.Kind)])

    assert _profile_queries(client, few) == _profile_queries(client, many)


# ---------- The sample networks and outlets of load_chunan ----------


def _load():
    call_command("load_chunan", stdout=StringIO())


def _services_counts():
    models = apps.get_app_config("services").get_models()
    return {model._meta.label: model._default_manager.count() for model in models}


def test_load_chunan_loads_the_sample_networks_and_outlets():
    _load()

    established = {
        c.code: sum(n.established for n in c.service_networks.all())
        for c in Community.objects.prefetch_related("service_networks")
    }
    assert ServiceNetwork.objects.count() == 50
    assert established == {
        **{code: 5 for code in demo.NETWORKS if code not in ("yangqi", "hongqiao")},
        "yangqi": 4,
        "hongqiao": 3,
    }
    assert not ServiceNetwork.objects.filter(established=True, established_on=None).exists()
    assert not ServiceNetwork.objects.filter(established=False, established_on__isnull=False)
    assert Community.objects.filter(figures_are_sample=False).count() == 0

    outlets = ServiceOutlet.objects.all()
    assert outlets.count() == 31
    assert outlets.filter(is_sample=False).count() == 0
    per_community = {c.code: c.outlets.count() for c in Community.objects.all()}
    assert all(2 <= n <= 4 for n in per_community.values())
    # Every community has a gym (the speech); none publishes an invented telephone.
    assert outlets.filter(kind=ServiceOutlet.Kind.GYM).count() == 10
    assert outlets.exclude(contact="").count() == 0
    xiyuan = outlets.filter(community__code="xiyuan")
    assert set(xiyuan.values_list("name", "address")) == {
        ("西园社区便民服务网点", "淳安县千岛湖镇"),
        ("西园社区文化活动站", "淳安县千岛湖镇"),
        ("西园社区健身房", "淳安县千岛湖镇"),
    }
    # No health station where the facilities checklist has no medical station.
    without_station = set(
        Community.objects.filter(
            facilities__kind="medical_station", facilities__present=False
        ).values_list("code", flat=True)
    )
    assert without_station == {"xiyuan", "huolujian", "yangqi"}
    with_health = set(
        outlets.filter(kind=ServiceOutlet.Kind.HEALTH).values_list("community__code", flat=True)
    )
    assert with_health and not with_health & without_station


def test_load_chunan_twice_adds_no_network_or_outlet():
    _load()
    first = _services_counts()

    _load()

    assert _services_counts() == first
    assert first["services.ServiceNetwork"] == 50
    assert first["services.ServiceOutlet"] == 31


def test_load_chunan_keeps_outlets_people_edited():
    _load()
    outlet = ServiceOutlet.objects.get(name="南苑社区卫生服务站")
    outlet.opening_hours = "周一至周六 8:00-12:00"
    outlet.contact = "0571-0000 1111"
    outlet.is_sample = False
    outlet.save()
    network = ServiceNetwork.objects.get(community__code="hongqiao", kind=Kind.SOCIALISED)
    network.established = True
    network.save()

    _load()

    outlet.refresh_from_db()
    network.refresh_from_db()
    assert (outlet.opening_hours, outlet.contact, outlet.is_sample) == (
        "周一至周六 8:00-12:00",
        "0571-0000 1111",
        False,
    )
    assert network.established is True


def test_loaded_profile_shows_the_sample_outlets(client):
    _load()
    nanyuan = Community.objects.get(code="nanyuan")

    section = _section(client.get(nanyuan.get_absolute_url()))

    assert "5 of the 5 service networks are established." in _text(section)
    assert set(_outlets(section)) == {
        "Convenience outlet",
        "Health station",
        "Cultural station",
        "Gym",
    }
    assert section.count("Sample data") == 1 + 4  # the networks' line and each outlet
    assert "西园社区" not in section
