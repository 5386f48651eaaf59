"""The address a request came from, as far as the portal can trust it.

One function for every limit that counts per address: the public notice's opinions per hour
(ratings.objections) and the failed log-ins before a pause (django-axes, through
AXES_CLIENT_IP_CALLABLE). Behind a reverse proxy both must see the client, never the proxy:
otherwise everyone would share one limit and one stranger could pause all of them.
"""

import ipaddress
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The client's address.

    Without a trusted proxy (CHUNAN_TRUSTED_PROXY_COUNT = 0), REMOTE_ADDR; X-Forwarded-For
    is ignored, since anyone can send it. Behind N trusted proxies, each appending to
    X-Forwarded-For, the Nth address from the right is the one the outermost trusted proxy
    saw; anything further left came from the client and may be forged. If that entry is
    missing or is not an address at all (a misconfigured count), REMOTE_ADDR is used.
    """
    count = settings.CHUNAN_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count == 0 and forwarded:
        # Loud on purpose, on every log-in and opinion (the only callers): behind a proxy
        # that the settings do not know of, every visitor shares the proxy's address.
        logger.warning(
            "X-Forwarded-For received but CHUNAN_TRUSTED_PROXY_COUNT is 0: behind a reverse "
            "proxy every visitor has its address %s and shares one log-in throttle; set the "
            "number of proxies (1 behind nginx)",
            request.META.get("REMOTE_ADDR", ""),
        )
    if count > 0:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= count and _is_address(chain[-count]):
            return chain[-count]
    return request.META.get("REMOTE_ADDR", "")


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
