"""Per-request state shared by the stages of the chain (keys of ``request[...]``).

aiohttp 3.13 has no typed ``RequestKey``; the types are documented here instead:
``PRINCIPAL`` → ``accounts.principal.Principal``, ``DATA_REQUEST`` → ``data.request.DataRequest``,
``CACHE_STATUS`` → ``str``, ``QUOTA`` → ``middlewares.quota.QuotaGuard``, ``PLAN`` → list of
``(start, end)`` runs the forwarder must fetch, ``FETCHED`` → ``data.outcome.Fetched``,
``HIT_PROBE`` → ``cache.hit_probe.HitProbe`` (the memo read with auth's round trip),
``CACHE_READ_AT`` → ``float`` (monotonic time the cache stage read the request's days).
"""

from __future__ import annotations

from typing import Final

PRINCIPAL: Final = "gateway.principal"
DATA_REQUEST: Final = "gateway.data_request"
CACHE_STATUS: Final = "gateway.cache_status"
QUOTA: Final = "gateway.quota"
PLAN: Final = "gateway.plan"
FETCHED: Final = "gateway.fetched"
HIT_PROBE: Final = "gateway.hit_probe"
CACHE_READ_AT: Final = "gateway.cache_read_at"
