"""Stage of the chain: the account's daily allowances, announced in every data answer.

The stage gives the request a ``QuotaGuard``; the later stages charge it by what really
happens (``charge_cached`` for an answer from cache, ``reserve_upstream(n)`` before n
upstream calls, ``refund_upstream`` for calls that were not made). The headers describe
the allowance the request used. An upstream call the hot read already reserved
(``HitProbe.prepaid``) counts toward the first ``reserve_upstream``; one the request did
not need is given back when it ends.
"""

from __future__ import annotations

from aiohttp import web

from gateway import state
from gateway.errors import GatewayError
from gateway.quota import CACHED, UPSTREAM, Quotas, Usage, rate_limit_headers
from gateway.request_keys import HIT_PROBE, PRINCIPAL, QUOTA
from gateway.routing import Handler, spec_of


class QuotaGuard:
    def __init__(self, quotas: Quotas, account_id: str) -> None:
        self.quotas = quotas
        self.account_id = account_id
        self.usage: Usage | None = None
        self.upstream_reserved = 0
        self.prepaid = 0  # reserved by the hot read, not yet counted by reserve_upstream

    def take_prepaid(self, calls: int, used: int) -> None:
        """Upstream calls reserved before this guard existed (the hot read), ``used`` the
        allowance used after them."""
        if calls > 0:
            self.prepaid += calls
            self.upstream_reserved += calls
            self.usage = Usage(UPSTREAM, self.quotas.limits[UPSTREAM], used)

    async def charge_cached(self) -> None:
        self.usage = await self.quotas.charge(self.account_id, CACHED, 1)

    async def reserve_upstream(self, calls: int) -> None:
        """Reserve ``calls`` upstream calls, or refuse the whole request up front (429)."""
        prepaid = min(self.prepaid, max(calls, 0))
        if calls > prepaid:  # refused: the prepaid call stays unused (given back at the end)
            self.usage = await self.quotas.charge(self.account_id, UPSTREAM, calls - prepaid)
            self.upstream_reserved += calls - prepaid
        self.prepaid -= prepaid

    async def release_prepaid(self) -> None:
        """Give back what the hot read reserved and the request did not use."""
        calls, self.prepaid = self.prepaid, 0
        await self.refund_upstream(calls)

    async def charge_upstream_made(self, calls: int) -> None:
        """Count calls that were made without a reservation (a lost race to join one)."""
        if calls > 0:
            self.usage = await self.quotas.charge(self.account_id, UPSTREAM, calls, enforce=False)
            self.upstream_reserved += calls

    async def refund_upstream(self, calls: int) -> None:
        calls = min(calls, self.upstream_reserved)
        if calls > 0:
            await self.quotas.refund(self.account_id, UPSTREAM, calls)
            self.upstream_reserved -= calls
            if self.usage is not None and self.usage.kind == UPSTREAM:
                self.usage.used = max(0, self.usage.used - calls)

    def headers(self) -> dict[str, str]:
        usage = self.usage or Usage(UPSTREAM, self.quotas.limits[UPSTREAM], 0, known=False)
        return rate_limit_headers(usage)


@web.middleware
async def quota(request: web.Request, handler: Handler) -> web.StreamResponse:
    if spec_of(request).parse is None or PRINCIPAL not in request:
        return await handler(request)
    guard = QuotaGuard(request.app[state.QUOTAS], request[PRINCIPAL].account_id)
    request[QUOTA] = guard
    probe = request.get(HIT_PROBE)
    if probe is not None:
        guard.take_prepaid(*probe.take_prepaid())
    try:
        try:
            response = await handler(request)
        finally:
            await guard.release_prepaid()
    except GatewayError as error:
        for name, value in guard.headers().items():
            error.headers.setdefault(name, value)
        raise
    response.headers.update(guard.headers())
    return response
