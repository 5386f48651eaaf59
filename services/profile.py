"""The services' section of a community's pages (communities.sections): its five service
networks and its outlets, on the public profile and on the workspace page."""

from services.models import ServiceNetwork, ServiceOutlet


def service_networks(community) -> dict:
    """The five service networks (五大服务网络) and the outlets by kind: two queries.

    Public: the outlets' contact is their public telephone, never a person's.
    """
    networks = {n.kind: n for n in ServiceNetwork.objects.filter(community=community)}
    outlets = list(ServiceOutlet.objects.filter(community=community).order_by("name", "pk"))
    return {
        "network_checklist": [(kind.label, networks.get(kind)) for kind in ServiceNetwork.Kind],
        "networks_established": sum(n.established for n in networks.values()),
        "network_total": len(ServiceNetwork.Kind),
        "outlet_groups": [
            (kind.label, group)
            for kind in ServiceOutlet.Kind
            if (group := [o for o in outlets if o.kind == kind])
        ],
    }
