"""The v2 consent exchange: ask Enedis' ``subscribed_services`` which meter a consent gave.

Right after a consent Enedis lists no service for a while: ask again with a bounded
backoff until the pending consent's deadline (``CONSENT_EXCHANGE_MAX_SECONDS``) or until
``wait_until``, whichever comes first. The call goes through the forwarder (application
token, the ``subscribed_services`` API's own limiter, retries, breaker).
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from gateway import state
from gateway.accounts.consent_v2 import PendingConsent, exchange_body
from gateway.accounts.service import ConsentResult
from gateway.enedis.catalogue import SUBSCRIBED_SERVICES_PATH, Api
from gateway.enedis.forwarder import Exchange

FIRST_DELAY = 0.25
MAX_DELAY = 2.0


async def exchange(
    app: web.Application, pending: PendingConsent, wait_until: float
) -> ConsentResult | None:
    """The consent's result, or ``None`` if Enedis lists nothing by ``wait_until``."""
    forwarder, accounts, cache = app[state.FORWARDER], app[state.ACCOUNTS], app[state.CACHE]
    call = Exchange(
        Api.SUBSCRIBED_SERVICES, SUBSCRIBED_SERVICES_PATH, exchange_body(pending.autorisation_id)
    )
    stop = min(wait_until, pending.deadline)
    delay = FIRST_DELAY
    while True:
        answer = await forwarder.fetch(call, pending.account_id)
        result = await accounts.complete_v2(pending, answer.body, cache)
        if result is not None:
            return result
        if time.time() + delay >= stop:
            return None
        await asyncio.sleep(delay)
        delay = min(MAX_DELAY, delay * 2)
