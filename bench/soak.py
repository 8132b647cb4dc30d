"""The soak of issue 9: mixed traffic against two replicas for ``SOAK_SECONDS`` (600).

``python -m bench.soak`` (``make soak``) starts the embedded stack (as ``python -m
bench`` does), two replicas sharing Valkey, and drives from this process, never from a
gateway's: warm reads (365 days, cache HITs), cold and partial ranges of daily data and
load curves (upstream-bound, about one per second), the customer endpoints, token
requests, signups, purges of cached ranges, Basic-authenticated management reads and
readiness probes. It prints the
requests served, the errors (5xx, unexpected statuses, client failures), the sandbox's
429 count and the RSS of each replica at the start and the end. Exit status 1 on errors.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import aiohttp
import psutil

from bench.accounts import Account, ready_accounts
from bench.stack import Proc, Stack
from gateway.enedis.rules import paris_today

DAILY = "/metering_data_dc/v5/daily_consumption"
CURVE = "/metering_data_clc/v5/consumption_load_curve"
CONTRACTS = "/customers_upc/v5/usage_points/contracts"
WARM_WORKERS = 8
ACCOUNTS = 6


def rss_mb(pid: int) -> float:
    return round(psutil.Process(pid).memory_info().rss / 1_048_576, 1)


class Soak:
    def __init__(self, seconds: float, session: aiohttp.ClientSession, replicas: list[Proc]):
        self.seconds = seconds
        self.http = session
        self.replicas = replicas
        self.today = paris_today()
        self.served: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.stop_at = 0.0
        self.rng = random.Random(8)
        self.pending: set[asyncio.Task[None]] = set()

    def replica(self, index: int) -> str:
        return self.replicas[index % len(self.replicas)].url

    async def call(
        self,
        kind: str,
        method: str,
        url: str,
        ok: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> None:
        try:
            async with self.http.request(method, url, **kwargs) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.errors[f"{kind}: {type(exc).__name__}"] += 1
            return
        if status in ok:
            self.served[kind] += 1
        else:
            self.errors[f"{kind}: HTTP {status}"] += 1

    def running(self) -> bool:
        return time.monotonic() < self.stop_at

    def daily_params(self, account: Account, end_offset: int, days: int) -> dict[str, str]:
        end = self.today - timedelta(days=end_offset)
        return {
            "usage_point_id": account.usage_points[0],
            "start": (end - timedelta(days=days)).isoformat(),
            "end": end.isoformat(),
        }

    async def warm_reader(self, worker: int, account: Account) -> None:
        params = self.daily_params(account, 0, 365)
        while self.running():
            url = self.replica(worker) + DAILY
            await self.call("warm 365 days", "GET", url, headers=account.bearer, params=params)

    async def ranged_reader(self, accounts: list[Account]) -> None:
        """About one upstream-bound request a second: cold, partial or cached ranges."""
        index = 0
        while self.running():
            account = accounts[index % len(accounts)]
            index += 1
            if self.rng.random() < 0.5:
                path, days, back = DAILY, self.rng.randint(1, 30), self.rng.randint(1, 700)
            else:
                path, days, back = CURVE, self.rng.randint(1, 7), self.rng.randint(1, 700)
            params = self.daily_params(account, back, days)
            url = self.replica(index) + path
            task = asyncio.create_task(
                self.call(
                    "ranged (cold/partial)", "GET", url, headers=account.bearer, params=params
                )
            )
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            await asyncio.sleep(1.0)

    async def periodic(self, accounts: list[Account]) -> None:
        """Tokens, contracts, management and readiness, a few a second."""
        tick = 0
        while self.running():
            account = accounts[tick % len(accounts)]
            url = self.replica(tick)
            tick += 1
            basic = aiohttp.BasicAuth(account.client_id, account.client_secret)
            calls = [
                self.call("health/ready", "GET", url + "/health/ready"),
                self.call("accounts/me", "GET", url + "/accounts/me", auth=basic),
            ]
            if tick % 10 == 0:  # a new account every ~5 s
                calls.append(
                    self.call(
                        "signup",
                        "POST",
                        url + "/accounts/signup",
                        ok=(201,),
                        json={"email": f"soak{tick}@example.com", "password": "soak password 1"},
                    )
                )
            if tick % 10 == 5:  # purge one cached range (legacy DELETE .../cache)
                params = self.daily_params(account, self.rng.randint(1, 700), 7)
                calls.append(
                    self.call(
                        "purge range",
                        "DELETE",
                        url
                        + f"/daily_consumption/{account.usage_points[0]}"
                        + f"/start/{params['start']}/end/{params['end']}/cache",
                        headers=account.bearer,
                    )
                )
            if tick % 3 == 0:
                calls.append(
                    self.call(
                        "token",
                        "POST",
                        url + "/oauth2/v3/token",
                        data={
                            "grant_type": "client_credentials",
                            "client_id": account.client_id,
                            "client_secret": account.client_secret,
                        },
                    )
                )
                calls.append(
                    self.call(
                        "contracts",
                        "GET",
                        url + CONTRACTS,
                        headers=account.bearer,
                        params={"usage_point_id": account.usage_points[0]},
                    )
                )
            await asyncio.gather(*calls)
            await asyncio.sleep(0.5)

    async def run(self, accounts: list[Account]) -> None:
        for account in accounts:  # warm the 365 days read by the warm readers
            await self.call(
                "warm 365 days",
                "GET",
                self.replica(0) + DAILY,
                headers=account.bearer,
                params=self.daily_params(account, 0, 365),
            )
        self.stop_at = time.monotonic() + self.seconds
        workers = [self.warm_reader(i, accounts[i % len(accounts)]) for i in range(WARM_WORKERS)]
        await asyncio.gather(*workers, self.ranged_reader(accounts), self.periodic(accounts))
        if self.pending:  # the last upstream-bound requests finish
            await asyncio.wait(self.pending, timeout=200)


async def main_async(seconds: float) -> int:
    stack = Stack()
    try:
        await asyncio.to_thread(stack.start_services)
        sandbox = stack.sandbox("sandbox")
        await asyncio.to_thread(sandbox.wait_ready)
        replicas = [
            stack.gateway(f"gateway-{i}", stack.gateway_env(sandbox, GATEWAY_REPLICAS="2"))
            for i in range(2)
        ]
        for proc in replicas:
            await asyncio.to_thread(proc.wait_ready, "/health/ready")
        timeout = aiohttp.ClientTimeout(total=240)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=timeout
        ) as session:
            accounts = await ready_accounts(session, [r.url for r in replicas], ACCOUNTS)
            soak = Soak(seconds, session, replicas)
            rss_start = {proc.name: rss_mb(proc.pid) for proc in replicas}
            print(f"soak: {seconds:.0f} s of mixed traffic on 2 replicas", flush=True)
            started = time.monotonic()
            await soak.run(accounts)
            elapsed = time.monotonic() - started
            rss_end = {proc.name: rss_mb(proc.pid) for proc in replicas}
            stats = Stack.control(sandbox, "GET", "/__sandbox/stats")
    finally:
        await asyncio.to_thread(stack.close)

    served = sum(soak.served.values())
    errors = sum(soak.errors.values())
    print(f"\nsoak: {elapsed:.0f} s, requests served {served}, errors {errors}")
    for kind, count in sorted(soak.served.items()):
        print(f"  served  {kind:<24} {count}")
    for kind, count in sorted(soak.errors.items()):
        print(f"  ERROR   {kind:<24} {count}")
    print(
        f"  sandbox: {stats['total_calls']} data calls, {stats['rate_limited']} x 429, "
        f"max {stats['max_calls_per_second']} in 1 s"
    )
    for name, start in rss_start.items():
        end = rss_end[name]
        print(f"  {name}: RSS start {start} MB, end {end} MB ({end - start:+.1f} MB)")
    return 1 if errors else 0


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    return asyncio.run(main_async(seconds))


if __name__ == "__main__":
    sys.exit(main())
