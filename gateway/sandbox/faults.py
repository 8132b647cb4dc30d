"""Fault injection on data calls: latency, 500/503 answers, timeouts (outage: see guard).

Faults are a ``FaultSettings`` value held by the sandbox state: set from the environment
at start, changed at run time with ``POST /__sandbox/faults``, restored by reset.
"""

from __future__ import annotations

import asyncio
import logging
import random

from gateway.enedis import upstream_errors as errors
from gateway.enedis.rules import EnedisError
from gateway.sandbox.settings import FaultSettings
from gateway.sandbox.stats import Stats

__all__ = ["INJECTED_ERRORS", "inject"]

logger = logging.getLogger(__name__)

#: What an injected error answers: one of these, at random.
INJECTED_ERRORS = (errors.TECHNICAL_ERROR, errors.SERVICE_UNAVAILABLE)


async def inject(faults: FaultSettings, rng: random.Random, stats: Stats) -> EnedisError | None:
    """Apply the faults to one data call; return the error to answer instead, if any.

    Order: latency (fixed + uniform jitter), then a timeout (hang ``timeout_seconds``,
    then 504), then a 500/503 error.
    """
    delay = faults.latency_ms + (
        rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0
    )
    if delay > 0:
        await asyncio.sleep(delay / 1000)
    if faults.timeout_rate and rng.random() < faults.timeout_rate:
        stats.timeouts_injected += 1
        logger.debug("injecting a %ss timeout", faults.timeout_seconds)
        await asyncio.sleep(faults.timeout_seconds)
        return EnedisError.from_catalogue(errors.GATEWAY_TIMEOUT)
    if faults.error_rate and rng.random() < faults.error_rate:
        stats.errors_injected += 1
        return EnedisError.from_catalogue(rng.choice(INJECTED_ERRORS))
    return None
