"""Sample service networks and outlets (示例数据) for `manage.py load_chunan`.

The speech says the communities set out to build five service networks (五大服务网络),
with convenience outlets, health stations, cultural stations and gyms (生活服务网点、医疗
卫生服务站、文化活动站、健身房), and that every community has a gym (各社区都建立了……
健身房). It names no outlet and dates no network: the rest is invented for the
demonstration. Everything is written only when its row is created (`initial`), so whatever
a person enters later is kept; outlets carry `is_sample`, and the networks, which have no
flag of their own, are marked by the community's `figures_are_sample`, as its facilities are.

Outlets agree with the facilities checklist: a community whose medical station is missing
(`FACILITIES_MISSING`) has no health station here. Contacts are left empty rather than
invented, so that no real telephone number is published by chance.
"""

import datetime

from services.models import ServiceNetwork, ServiceOutlet

D = datetime.date
Network = ServiceNetwork.Kind
Outlet = ServiceOutlet.Kind

QIANDAOHU_NETWORKS_SINCE = {
    Network.SOCIAL_ASSISTANCE: D(2003, 3, 1),
    Network.CONVENIENCE: D(2003, 6, 1),
    Network.SOCIALISED: D(2004, 9, 1),
    Network.REEMPLOYMENT: D(2005, 3, 1),
    Network.CO_BUILDING: D(2006, 3, 1),
}
# Community → the networks it has established and since when; the others are not yet.
NETWORKS = {
    **dict.fromkeys(
        ("xiyuan", "nanyuan", "huolujian", "jiangbin", "wanghu", "lijiawu", "xinbei", "shijiatang"),
        QIANDAOHU_NETWORKS_SINCE,
    ),
    "yangqi": {
        Network.SOCIAL_ASSISTANCE: D(2008, 12, 1),
        Network.CONVENIENCE: D(2008, 12, 1),
        Network.REEMPLOYMENT: D(2009, 3, 1),
        Network.CO_BUILDING: D(2009, 5, 1),
    },
    "hongqiao": {
        Network.SOCIAL_ASSISTANCE: D(2008, 12, 1),
        Network.CONVENIENCE: D(2009, 1, 1),
        Network.CO_BUILDING: D(2009, 6, 1),
    },
}

OFFICE_HOURS = "周一至周五 8:30-17:00"
HOURS = {
    Outlet.CONVENIENCE: "每日 7:00-20:00",
    Outlet.HEALTH: "每日 8:00-17:30",
    Outlet.CULTURE: "每日 8:30-21:00",
    Outlet.GYM: "每日 6:00-21:00",
    Outlet.OTHER: OFFICE_HOURS,
}
SUFFIXES = {
    Outlet.CONVENIENCE: "便民服务网点",
    Outlet.HEALTH: "卫生服务站",
    Outlet.CULTURE: "文化活动站",
    Outlet.GYM: "健身房",
}
# Community → the kinds of its outlets (one each), or (kind, name) for a named one.
OUTLETS = {
    "xiyuan": (Outlet.CONVENIENCE, Outlet.CULTURE, Outlet.GYM),
    "nanyuan": (Outlet.CONVENIENCE, Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "huolujian": (Outlet.CONVENIENCE, Outlet.GYM),
    "jiangbin": (Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "wanghu": (Outlet.CONVENIENCE, Outlet.HEALTH, Outlet.GYM),
    "lijiawu": (Outlet.CONVENIENCE, Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "xinbei": (Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
    "shijiatang": (
        Outlet.HEALTH,
        Outlet.CULTURE,
        Outlet.GYM,
        (Outlet.OTHER, "施家塘社区星光老年之家"),
    ),
    "yangqi": (Outlet.CONVENIENCE, Outlet.GYM),
    "hongqiao": (Outlet.HEALTH, Outlet.CULTURE, Outlet.GYM),
}


def outlet_rows(community):
    """(kind, name, address, opening hours) of the sample outlets of `community`."""
    for spec in OUTLETS.get(community.code, ()):
        kind, name = spec if isinstance(spec, tuple) else (spec, community.name + SUFFIXES[spec])
        yield kind, name, community.address, HOURS[kind]


def load_service_networks(loader, communities: dict) -> None:
    """The five networks of each community and its outlets, as sample data."""
    for code, community in communities.items():
        established = NETWORKS.get(code, {})
        for kind in Network:
            loader.put(
                ServiceNetwork,
                {"community": community, "kind": kind},
                initial={
                    "established": kind in established,
                    "established_on": established.get(kind),
                },
            )
        for kind, name, address, opening_hours in outlet_rows(community):
            loader.put(
                ServiceOutlet,
                {"community": community, "name": name},
                initial={
                    "kind": kind,
                    "address": address,
                    "opening_hours": opening_hours,
                    "is_sample": True,
                },
            )
