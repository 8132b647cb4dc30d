"""One upstream call, as the forwarder coalesces, limits and retries it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.enedis.catalogue import Api, Endpoint


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    """A dataset, a usage point, and for ranged data ``[start, end[``; for contract data
    the ``section`` (which contract-data answer) to fetch."""

    endpoint: Endpoint
    usage_point_id: str
    start: date | None = None
    end: date | None = None
    section: str | None = None


#: What an adapter makes of a call: the API whose quota it uses, the path and the query.
UpstreamRequest = tuple[Api, str, dict[str, str]]
