"""Calling the sandbox directly (as Enedis would be called), to compare with the gateway."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from datetime import date, timedelta
from typing import Any

import aiohttp

from gateway.enedis.catalogue import Endpoint
from gateway.enedis.rules import paris_today

CONSUMPTION_AND_PRODUCTION = "09100000000001"
CONSUMPTION_ONLY = "09100000000002"
OTHER_CUSTOMER_POINT = "09200000000001"


def sandbox_control(base_url: str, method: str, path: str, body: Any = None) -> Any:
    """A call to the sandbox's own control routes (``/__sandbox/faults``, stats, reset)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


def recent_range(days: int, ending_days_ago: int = 1) -> tuple[date, date]:
    end = paris_today() - timedelta(days=ending_days_ago)
    return end - timedelta(days=days), end


def query(
    usage_point_id: str, endpoint: Endpoint, start: date | None = None, end: date | None = None
) -> dict[str, str]:
    params = {"usage_point_id": usage_point_id}
    if endpoint.is_ranged and start is not None and end is not None:
        params.update(start=start.isoformat(), end=end.isoformat())
    return params


async def direct(
    base_url: str, endpoint: Endpoint | str, params: dict[str, str]
) -> tuple[int, Any]:
    """One call to the sandbox (an endpoint, or a path) with a fresh application token."""
    path = endpoint if isinstance(endpoint, str) else endpoint.path
    async with aiohttp.ClientSession() as session:
        async with session.post(
            base_url + "/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sandbox-client-id",
                "client_secret": "sandbox-client-secret",
            },
        ) as answer:
            token = (await answer.json())["access_token"]
        for _ in range(50):  # a well-behaved client: honours the sandbox's 429 Retry-After
            async with session.get(
                base_url + path,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            ) as answer:
                if answer.status != 429:
                    return answer.status, await answer.json()
                wait = float(answer.headers.get("Retry-After", "1"))
            await asyncio.sleep(min(wait, 1.0))
        raise AssertionError("the sandbox kept answering 429")
