"""`gateway healthcheck`: the container's HEALTHCHECK.

It asks ``GET /health/live`` on this host's own non-loopback address, the one a published
port leads to, not on 127.0.0.1: a gateway that listens on loopback only (``GATEWAY_HOST=
127.0.0.1`` from a copied ``.env``) is then reported unhealthy instead of healthy behind a
port that nobody can reach. Exit status 0 when healthy, 1 (and one line) otherwise.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import urllib.request
from collections.abc import Mapping

# A documentation address (RFC 5737): connecting a UDP socket to it sends nothing, it only
# picks the interface of the default route.
_ROUTE_PROBE = ("198.51.100.1", 9)


def _outside(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def outside_address() -> str | None:
    """This host's address as others see it: its name's first non-loopback address (what
    container engines write in /etc/hosts), else the default route's source address."""
    with contextlib.suppress(OSError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            if _outside(str(sockaddr[0])):
                return str(sockaddr[0])
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe,
    ):
        probe.connect(_ROUTE_PROBE)
        address = str(probe.getsockname()[0])
        if _outside(address):
            return address
    return None


def check(env: Mapping[str, str], timeout: float = 4.0) -> int:
    port = env.get("GATEWAY_PORT", "8080").strip() or "8080"
    if not port.isdigit():
        print(f"healthcheck: GATEWAY_PORT is not a port ({port!r})", file=sys.stderr)
        return 1
    host = outside_address()
    if host is None:
        print("healthcheck: this host has no address outside loopback", file=sys.stderr)
        return 1
    url = f"http://{host}:{port}/health/live"
    try:
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no HTTP_PROXY
        with direct.open(url, timeout=timeout) as answer:
            if answer.status == 200:
                return 0
            reason = f"status {answer.status}"
    except OSError as exc:
        reason = str(getattr(exc, "reason", exc))
    print(
        f"healthcheck: {url} does not answer ({reason}); GATEWAY_HOST must not be loopback "
        "in a container",
        file=sys.stderr,
    )
    return 1
