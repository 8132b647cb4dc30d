"""Provider adapters: one per generation of Enedis' APIs, behind one interface.

An adapter knows its generation's paths, parameters, per-call limits and the APIs its
quotas apply to, and turns answers into the gateway's model (``gateway.data.model``):

- ``call_for`` / ``request_of``: the upstream request (API, path, query) of one call;
- ``max_days``: the per-call maximum of a dataset;
- ``sections``: which contract-data sections hold what a v5 customer endpoint served;
- ``to_entries``: an answer as model entries, per day (or per contract-data section).

The forwarder, limiter, breaker, retries and coalescing are one mechanism for both; only
the adapter differs (``ENEDIS_API``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from gateway.cache.store import Entry
from gateway.enedis.adapters.v5 import V5Adapter
from gateway.enedis.adapters.v2026 import V2026Adapter
from gateway.enedis.catalogue import Endpoint, Generation
from gateway.enedis.upstream_call import UpstreamCall, UpstreamRequest

__all__ = ["ProviderAdapter", "UpstreamRequest", "adapter_for"]


class ProviderAdapter(Protocol):
    generation: Generation

    def request_of(self, call: UpstreamCall) -> UpstreamRequest: ...

    def max_days(self, endpoint: Endpoint) -> int | None: ...

    def sections(self, endpoint: Endpoint) -> tuple[str, ...]: ...

    def to_entries(self, call: UpstreamCall, body: Any) -> dict[date | str, Entry]: ...


def adapter_for(generation: Generation) -> ProviderAdapter:
    return V2026Adapter() if generation is Generation.V2026 else V5Adapter()
