"""Who the client is, as far as throttles are concerned: the peer address, or behind
trusted reverse proxies (``TRUSTED_PROXIES``) the right-most ``X-Forwarded-For`` hop that
is not one of them. Hops left of it were written by the client and prove nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import web

from gateway import state
from gateway.config import IPNetwork

FORWARDED_FOR = "X-Forwarded-For"
UNKNOWN = "unknown"
_MAX_HOP = 64  # a hop that long is no address: kept (cut) as the client's own text


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(text: str, proxies: Sequence[IPNetwork]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in proxies)


def resolve(remote: str | None, forwarded_for: Iterable[str], proxies: Sequence[IPNetwork]) -> str:
    """The client address: ``remote`` unless it is a trusted proxy; then, walking the
    ``X-Forwarded-For`` hops from the right, the first that is not a trusted proxy (the
    left-most hop when all are)."""
    if not remote:
        return UNKNOWN
    if not proxies or not _trusted(remote, proxies):
        return remote
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    hops = [hop for hop in hops if hop]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop[:_MAX_HOP]
    return hops[0][:_MAX_HOP] if hops else remote


def client_address(request: web.Request) -> str:
    """The client address of ``request`` under the replica's ``TRUSTED_PROXIES``."""
    settings = request.app.get(state.SETTINGS)
    proxies = settings.trusted_proxies if settings is not None else ()
    return resolve(request.remote, request.headers.getall(FORWARDED_FOR, []), proxies)
