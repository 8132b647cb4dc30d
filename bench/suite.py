"""The scenarios B1..B8 of issues 8 and 18, run against the embedded stack of ``bench.stack``.

Every request is made from outside the gateways: the heavy load of B1/B6 by the load
generator (``bench.load``, a process of its own), the paced or sequential requests of
B2..B7 by this orchestrating process. Each scenario returns its figures (snake case),
its ``target`` and ``target_met``; each is bounded by ``Size.timeout``.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import psycopg

from bench.accounts import Account, consent_point, ready_account, ready_accounts, signed_up
from bench.load import percentile, summary_ms
from bench.profile import render_profile
from bench.stack import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFTED_RATE,
    RATE_LIMIT,
    Proc,
    Stack,
)
from gateway.enedis.adapters import adapter_for
from gateway.enedis.catalogue import MEASURE_BY_V5, Api, Generation, measure_of
from gateway.enedis.rules import paris_today
from gateway.imports.plan import import_calls
from tests.support.upstream import upstream_calls

DAILY = "/metering_data_dc/v5/daily_consumption"
CURVE = "/metering_data_clc/v5/consumption_load_curve"
#: The Data Connect 2026 operation the gateway calls for DAILY (B2's direct calls)
DIRECT_DAILY = MEASURE_BY_V5["daily_consumption"].path
DAILY_OPERATION = MEASURE_BY_V5["daily_consumption"].name  # its name in the sandbox's stats
B1_WORKERS = 2  # GATEWAY_WORKERS of B1's second replica (reported, not a target)
#: B8's meter: the sandbox's consumption + production point (``default`` customer)
B8_CUSTOMER, B8_POINT = "default", "09100000000001"
B8_POLL_SECONDS = 0.2  # how often B8 reads the import's status (``GET /pdl``)
SCENARIOS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8")
TITLES = {
    "B1": "warm cache, 365 days daily, 64 connections",
    "B2": "cache miss, sandbox latency 50 ms",
    "B3": "3 replicas, shared Valkey, distinct upstream calls",
    "B4": "fairness: A backfills load curve, B one day/s",
    "B5": "cold backfill of load curve, one account",
    "B6": "peak RSS of the gateway under B1's load",
    "B7": "coalescing: identical cold requests",
    "B8": "history import of a consumption+production meter, B one day/s",
}


@dataclass(frozen=True)
class Size:
    name: str
    b1_seconds: float  # measured seconds per target (gateway, then bare)
    b1_warmup: float
    b1_connections: int
    profile_seconds: float
    b2_samples: int
    b3_requests: int
    b3_accounts: int
    b4_days: int
    b4_interval: float
    b4_min_requests: int
    b5_days: int
    b7_requests: int
    b8_history_days: int  # IMPORT_HISTORY_DAYS of B8's replica (0: the whole history)
    timeout: float  # bound of one scenario, seconds


SIZES = {
    "full": Size("full", 15.0, 2.0, 64, 10.0, 200, 300, 30, 730, 1.0, 10, 730, 100, 0, 240.0),
    "tiny": Size("tiny", 1.5, 0.3, 64, 1.0, 15, 12, 3, 14, 0.2, 4, 14, 20, 14, 60.0),
}


def _range(end: date, days: int) -> dict[str, str]:
    return {"start": (end - timedelta(days=days)).isoformat(), "end": end.isoformat()}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class Suite:
    """Starts what each scenario needs, once, and runs the scenarios."""

    def __init__(self, size: Size, out_dir: Path, profile: bool = True, keep: bool = False):
        self.size = size
        self.out_dir = out_dir
        self.profile = profile
        self.stack = Stack(keep=keep)
        self.today = paris_today()
        self._sandbox: Proc | None = None
        self._replicas: list[Proc] = []
        self._b1: dict[str, Any] | None = None
        self.session: aiohttp.ClientSession | None = None

    # -- lifecycle -----------------------------------------------------------------------
    async def __aenter__(self) -> Suite:
        await asyncio.to_thread(self.stack.start_services)
        connector = aiohttp.TCPConnector(limit=0)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.size.timeout)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()
        await asyncio.to_thread(self.stack.close)

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self.session is not None
        return self.session

    async def sandbox(self) -> Proc:
        """The main sandbox: Enedis' real quotas (5/s), no latency."""
        if self._sandbox is None:
            proc = self.stack.sandbox("sandbox")
            self._sandbox = await asyncio.to_thread(proc.wait_ready)
        return self._sandbox

    async def replicas(self, count: int) -> list[Proc]:
        """``count`` gateway replicas on the main sandbox and the shared Valkey (db 0)."""
        sandbox = await self.sandbox()
        new = [
            self.stack.gateway(
                f"gateway-{i}", self.stack.gateway_env(sandbox, GATEWAY_REPLICAS=str(count))
            )
            for i in range(len(self._replicas), count)
        ]
        for proc in new:
            await asyncio.to_thread(proc.wait_ready, "/health/ready")
        self._replicas.extend(new)
        return self._replicas[:count]

    async def stats(self, sandbox: Proc | None = None) -> dict[str, Any]:
        sandbox = sandbox or await self.sandbox()
        async with self.http.get(sandbox.url + "/__sandbox/stats") as answer:
            stats: dict[str, Any] = await answer.json()
            return stats

    async def reset_sandbox(self) -> None:
        sandbox = await self.sandbox()
        async with self.http.post(sandbox.url + "/__sandbox/reset") as answer:
            answer.raise_for_status()

    async def get(
        self, url: str, headers: dict[str, str], params: dict[str, str]
    ) -> tuple[int, float, bytes, dict[str, str]]:
        """One GET: status, seconds, body, headers."""
        started = time.perf_counter()
        async with self.http.get(url, headers=headers, params=params) as answer:
            body = await answer.read()
            return answer.status, time.perf_counter() - started, body, dict(answer.headers)

    async def load(self, spec: dict[str, Any], name: str) -> dict[str, Any]:
        """Run ``bench.load`` in its own process; its result."""
        spec_path = self.stack.root / f"{name}.spec.json"
        out_path = self.stack.root / f"{name}.out.json"
        spec_path.write_text(json.dumps(spec))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.load", str(spec_path), str(out_path)
        )
        limit = spec["duration"] + spec.get("warmup", 0) + 60
        try:
            code = await asyncio.wait_for(process.wait(), limit)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        if code != 0:
            raise RuntimeError(f"load generator exited with {code}")
        result: dict[str, Any] = json.loads(out_path.read_text())
        return result

    # -- running -------------------------------------------------------------------------
    async def run(self, ids: list[str], on_result: Callable[[str, dict[str, Any]], None]) -> None:
        runners: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
            "B1": self.b1,
            "B2": self.b2,
            "B3": self.b3,
            "B4": self.b4,
            "B5": self.b5,
            "B6": self.b6,
            "B7": self.b7,
            "B8": self.b8,
        }
        for scenario in ids:
            started = time.monotonic()
            marks = self._log_marks()
            try:
                # B1 runs two loads and the profile: give it more room
                bound = self.size.timeout * (2 if scenario in ("B1", "B6") else 1)
                result = await asyncio.wait_for(runners[scenario](), bound)
            except Exception as exc:
                kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
                result = {"error": f"{kind}: {str(exc)[:400]}", "target_met": False}
                result.setdefault("target", TARGETS[scenario])
            result["duration_s"] = round(time.monotonic() - started, 1)
            warnings = self._warnings_since(marks)
            result["gateway_warnings"] = len(warnings)
            if warnings:
                result["gateway_warning_samples"] = warnings[:5]
            on_result(scenario, result)

    def _log_marks(self) -> dict[Path, int]:
        """The size of every gateway log now (what a scenario adds comes after)."""
        return {
            proc.log: proc.log.stat().st_size
            for proc in self.stack.procs
            if proc.name.startswith("gateway") and proc.log.exists()
        }

    def _warnings_since(self, marks: dict[Path, int]) -> list[str]:
        """Warning and error lines the gateways logged since ``marks`` (evidence for the
        report: a replica falling back from Redis, retries after a 429, ...)."""
        found: list[str] = []
        for proc in self.stack.procs:
            if not proc.name.startswith("gateway") or not proc.log.exists():
                continue
            with open(proc.log, "rb") as log:
                log.seek(marks.get(proc.log, 0))
                for raw in log:
                    line = raw.decode(errors="replace").strip()
                    if '"level": "warning"' in line or '"level": "error"' in line:
                        found.append(f"{proc.name}: {line[:300]}")
        return found

    # -- B1 / B6 -------------------------------------------------------------------------
    async def _b1_run(self) -> dict[str, Any]:
        """B1's measure, shared by B6: gateway and bare under the same load."""
        if self._b1 is not None:
            return self._b1
        size = self.size
        (gateway,) = await self.replicas(1)
        account = await ready_account(self.http, gateway.url)
        params = {"usage_point_id": account.usage_points[0], **_range(self.today, 365)}
        url = gateway.url + DAILY + "?" + "&".join(f"{k}={v}" for k, v in params.items())
        warm = await self.get(url, account.bearer, {})
        check = await self.get(url, account.bearer, {})
        if warm[0] != 200 or check[0] != 200 or check[3].get("X-Cache-Status") != "HIT":
            raise RuntimeError(
                f"warming failed: {warm[0]} {check[0]} {check[3].get('X-Cache-Status')}"
            )
        body = self.stack.root / "b1-body.json"
        body.write_bytes(check[2])
        content_type = check[3].get("Content-Type", "application/json").split(";")[0]
        bare = self.stack.bare(body, content_type)
        await asyncio.to_thread(bare.wait_ready, "/")

        spec = {
            "headers": account.bearer,
            "connections": size.b1_connections,
            "duration": size.b1_seconds,
            "warmup": size.b1_warmup,
        }
        rss = RssSampler(gateway.pid)
        rss_before = rss.sample()
        sampling = asyncio.create_task(rss.run())
        try:
            measured = await self.load(
                {**spec, "url": url, "count_header": "X-Cache-Status"}, "b1-gateway"
            )
        finally:
            rss.stop()
            await sampling
        baseline = await self.load({**spec, "url": bare.url + DAILY}, "b1-bare")
        await asyncio.to_thread(bare.stop)
        workers = await self._b1_workers(spec, url.removeprefix(gateway.url))

        profile = None
        if self.profile:
            profile = await self._profile(account, url.removeprefix(gateway.url))
        self._b1 = {
            "gateway": measured,
            "bare": baseline,
            "body_bytes": len(check[2]),
            "rss_before_mb": rss_before,
            "peak_rss_mb": rss.peak,
            "profile": profile,
            "workers": workers,
        }
        return self._b1

    async def _b1_workers(self, spec: dict[str, Any], path_and_query: str) -> dict[str, Any]:
        """B1's load on a replica of ``B1_WORKERS`` processes (``GATEWAY_WORKERS``, one
        port): reported beside the single process, not a target."""
        sandbox = await self.sandbox()
        env = self.stack.gateway_env(sandbox, GATEWAY_WORKERS=str(B1_WORKERS))
        proc = self.stack.gateway("gateway-workers", env)
        await asyncio.to_thread(proc.wait_ready, "/health/ready")
        try:
            return await self.load(
                {**spec, "url": proc.url + path_and_query, "count_header": "X-Cache-Status"},
                "b1-workers",
            )
        finally:
            await asyncio.to_thread(proc.stop)

    async def _profile(self, account: Account, path_and_query: str) -> dict[str, Any]:
        """B1's load on one more replica run under pyinstrument; the profile beside results."""
        session_file = self.stack.root / "profile-B1.pyisession"
        sandbox = await self.sandbox()
        proc = self.stack.gateway(
            "gateway-profiled", self.stack.gateway_env(sandbox), profile_to=session_file
        )
        await asyncio.to_thread(proc.wait_ready, "/health/ready")
        spec = {
            "url": proc.url + path_and_query,
            "headers": account.bearer,
            "connections": self.size.b1_connections,
            "duration": self.size.profile_seconds,
            "warmup": 0.2,
        }
        under_profiler = await self.load(spec, "b1-profiled")
        code = await asyncio.to_thread(proc.stop, signal.SIGINT, 60.0)
        if not session_file.exists():
            raise RuntimeError(f"pyinstrument wrote no session (exit {code}):\n{proc.tail()}")
        top = await asyncio.to_thread(render_profile, session_file, self.out_dir, "profile-B1")
        return {"requests_per_s_under_profiler": under_profiler["requests_per_s"], **top}

    async def b1(self) -> dict[str, Any]:
        run = await self._b1_run()
        gateway, bare = run["gateway"], run["bare"]
        ratio = gateway["requests_per_s"] / bare["requests_per_s"] if bare["requests_per_s"] else 0
        figures: dict[str, Any] = {
            "requests_per_s": gateway["requests_per_s"],
            "p50_ms": gateway["p50_ms"],
            "p99_ms": gateway["p99_ms"],
            "bare_requests_per_s": bare["requests_per_s"],
            "bare_p50_ms": bare["p50_ms"],
            "bare_p99_ms": bare["p99_ms"],
            "ratio_to_bare": round(ratio, 3),
            "requests": gateway["requests"],
            "errors": gateway["errors"],
            "cache_statuses": gateway.get("header_counts", {}),
            "bare_errors": bare["errors"],
            "connections": gateway["connections"],
            "body_bytes": run["body_bytes"],
        }
        workers = run["workers"]
        figures[f"workers_{B1_WORKERS}"] = {
            "requests_per_s": workers["requests_per_s"],
            "p50_ms": workers["p50_ms"],
            "p99_ms": workers["p99_ms"],
            "errors": workers["errors"],
            "cache_statuses": workers.get("header_counts", {}),
            "ratio_to_bare": round(
                workers["requests_per_s"] / bare["requests_per_s"] if bare["requests_per_s"] else 0,
                3,
            ),
        }
        if run["profile"]:
            figures["profile"] = run["profile"]
        figures["target"] = TARGETS["B1"]
        all_hits = set(figures["cache_statuses"]) == {"HIT"}
        figures["target_met"] = ratio >= 0.25 and gateway["errors"] == 0 and all_hits
        return figures

    async def b6(self) -> dict[str, Any]:
        run = await self._b1_run()
        peak = run["peak_rss_mb"]
        return {
            "peak_rss_mb": peak,
            "rss_before_load_mb": run["rss_before_mb"],
            "target": TARGETS["B6"],
            "target_met": peak <= 150.0,
        }

    # -- B2 ------------------------------------------------------------------------------
    async def b2(self) -> dict[str, Any]:
        """Sequential cache misses through the gateway vs the same calls made directly.

        B2 has a sandbox and a gateway of its own (Valkey db 1) with the rate limits
        lifted, so that no call ever waits for a limiter slot: what is measured is the
        gateway's own work (auth, quota, cache read, limiter round trip, forwarding,
        cache write, answer), not the queueing that the 5/s budget would add.
        """
        size = self.size
        sandbox = self.stack.sandbox(
            "sandbox-b2",
            SANDBOX_LATENCY_MS="50",
            SANDBOX_LATENCY_JITTER_MS="0",
            SANDBOX_RATE_PER_SECOND_2026=str(LIFTED_RATE),
            SANDBOX_RATE_PER_HOUR_2026=str(LIFTED_RATE * 3600),
        )
        await asyncio.to_thread(sandbox.wait_ready)
        env = self.stack.gateway_env(
            sandbox,
            redis_db=1,
            ENEDIS_RATE_LIMIT=str(LIFTED_RATE),
            ENEDIS_HOURLY_LIMIT=str(LIFTED_RATE * 3600),
        )
        gateway = self.stack.gateway("gateway-b2", env)
        proxy = self.stack.bare_proxy(sandbox.url)
        await asyncio.to_thread(gateway.wait_ready, "/health/ready")
        await asyncio.to_thread(proxy.wait_ready)
        account = await ready_account(self.http, gateway.url)
        point = account.usage_points[0]
        async with self.http.post(
            sandbox.url + "/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        ) as answer:
            answer.raise_for_status()
            direct_headers = {"Authorization": f"Bearer {(await answer.json())['access_token']}"}

        warmup = 5

        async def triples(first: int) -> tuple[list[float], list[float], list[float]]:
            """``size.b2_samples`` (after ``warmup``) times: direct, gateway, bare proxy;
            one new day each, from ``first`` days before the day before yesterday."""
            direct: list[float] = []
            through: list[float] = []
            hop: list[float] = []  # the same direct call through the bare proxy
            for i in range(first, first + size.b2_samples + warmup):
                params = {"usage_point_id": point, **_range(self.today - timedelta(days=2 + i), 1)}
                direct_params = {
                    "pointId": point,
                    "dateDebut": params["start"],
                    "dateFin": params["end"],
                }
                d_status, d_time, _, _ = await self.get(
                    sandbox.url + DIRECT_DAILY, direct_headers, direct_params
                )
                g_status, g_time, _, g_headers = await self.get(
                    gateway.url + DAILY, account.bearer, params
                )
                p_status, p_time, _, _ = await self.get(
                    proxy.url + DIRECT_DAILY, direct_headers, direct_params
                )
                if (
                    d_status != 200
                    or g_status != 200
                    or p_status != 200
                    or g_headers.get("X-Cache-Status") != "MISS"
                ):
                    raise RuntimeError(
                        f"B2 sample {i}: direct {d_status}, gateway {g_status} "
                        f"{g_headers.get('X-Cache-Status')}, bare proxy {p_status}"
                    )
                if i >= first + warmup:
                    direct.append(d_time)
                    through.append(g_time)
                    hop.append(p_time)
            return direct, through, hop

        direct, through, hop = await triples(0)
        # the same without the sandbox's 50 ms: no process idles between hops (reported)
        await asyncio.to_thread(
            self.stack.control, sandbox, "POST", "/__sandbox/faults", {"latency_ms": 0}
        )
        busy_direct, busy_through, busy_hop = await triples(size.b2_samples + warmup)
        await asyncio.to_thread(gateway.stop)
        await asyncio.to_thread(proxy.stop)
        profile = None
        if self.profile:  # the same misses on a replica under pyinstrument, not measured
            session_file = self.stack.root / "profile-B2.pyisession"
            profiled = self.stack.gateway("gateway-b2-profiled", env, profile_to=session_file)
            await asyncio.to_thread(profiled.wait_ready, "/health/ready")
            first = 2 * (size.b2_samples + warmup)
            for i in range(first, first + max(10, size.b2_samples // 4)):
                params = {"usage_point_id": point, **_range(self.today - timedelta(days=2 + i), 1)}
                await self.get(profiled.url + DAILY, account.bearer, params)
            await asyncio.to_thread(profiled.stop, signal.SIGINT, 60.0)
            profile = await asyncio.to_thread(
                render_profile, session_file, self.out_dir, "profile-B2"
            )
        await asyncio.to_thread(sandbox.stop)
        added_p50 = percentile(through, 0.5) - percentile(direct, 0.5)
        added_p99 = percentile(through, 0.99) - percentile(direct, 0.99)
        hop_p50 = percentile(hop, 0.5) - percentile(direct, 0.5)
        busy_p50 = percentile(busy_through, 0.5) - percentile(busy_direct, 0.5)
        busy_hop_p50 = percentile(busy_hop, 0.5) - percentile(busy_direct, 0.5)
        gw, dr = summary_ms(through), summary_ms(direct)
        return {
            "added_latency_p50_ms": _ms(added_p50),
            "added_latency_p99_ms": _ms(added_p99),
            "bare_proxy_added_p50_ms": _ms(hop_p50),
            "added_beyond_the_hop_p50_ms": _ms(added_p50 - hop_p50),
            "bare_proxy_p50_ms": summary_ms(hop)["p50_ms"],
            "without_sandbox_latency": {  # reported, not the target
                "added_latency_p50_ms": _ms(busy_p50),
                "bare_proxy_added_p50_ms": _ms(busy_hop_p50),
                "direct_p50_ms": summary_ms(busy_direct)["p50_ms"],
                "gateway_p50_ms": summary_ms(busy_through)["p50_ms"],
            },
            "direct_p50_ms": dr["p50_ms"],
            "direct_p99_ms": dr["p99_ms"],
            "gateway_p50_ms": gw["p50_ms"],
            "gateway_p99_ms": gw["p99_ms"],
            "samples": len(through),
            "sandbox_latency_ms": 50,
            **({"profile": profile} if profile else {}),
            "target": TARGETS["B2"],
            "target_met": added_p50 * 1000 <= 2.0,
        }

    # -- B3 ------------------------------------------------------------------------------
    async def b3(self) -> dict[str, Any]:
        """Distinct cold one-day requests from many accounts through 3 replicas at once.

        Upstream rate: the sandbox's ``total_calls`` is polled every 10 ms (a thread of
        its own); the first and the last call are placed at the middle of the poll
        interval where the count first moved and where it reached its final value;
        rate = (calls - 1) / span (the calls delimit calls - 1 intervals). A
        least-squares slope of the count over time is given too (``calls_per_s_fit``).
        """
        size = self.size
        replicas = await self.replicas(3)
        urls = [r.url for r in replicas]
        accounts = await ready_accounts(self.http, urls, size.b3_accounts)
        # distinct upstream calls: identical calls would be coalesced, whoever asks them
        jobs: list[tuple[str, Account, dict[str, str]]] = []
        for index in range(size.b3_requests):
            owner = index % size.b3_accounts
            account = accounts[owner]
            day = self.today - timedelta(days=2 + index)
            point = account.usage_points[index % len(account.usage_points)]
            params = {"usage_point_id": point, **_range(day, 1)}
            jobs.append((urls[owner % len(urls)], account, params))

        await asyncio.sleep(1.0)  # the limiter idle, whatever ran before
        await self.reset_sandbox()
        sandbox = await self.sandbox()
        poller = StatsPoller(sandbox.port)
        poller.start()
        started = time.monotonic()
        answers = await asyncio.gather(
            *(self.get(url + DAILY, account.bearer, params) for url, account, params in jobs),
            return_exceptions=True,
        )
        wall = time.monotonic() - started
        await asyncio.sleep(0.1)
        polls = await asyncio.to_thread(poller.finish)
        (self.stack.root / "b3-polls.json").write_text(json.dumps(polls))
        stats = await self.stats()

        statuses: dict[str, int] = {}
        for answer in answers:
            key = type(answer).__name__ if isinstance(answer, BaseException) else str(answer[0])
            statuses[key] = statuses.get(key, 0) + 1
        errors = sum(n for key, n in statuses.items() if key != "200")
        total = int(stats["total_calls"])
        first, first_err = _crossing(polls, 1)
        last, last_err = _crossing(polls, total)
        span = last - first if total > 1 else 0.0
        rate = (total - 1) / span if span > 0 and total > 1 else 0.0
        max_1s = int(stats["max_calls_per_second"])
        limited = int(stats["rate_limited"])
        return {
            "upstream_calls_per_s": round(rate, 3),
            "max_upstream_calls_in_1s": max_1s,
            "sandbox_429_count": limited,
            "upstream_calls": total,
            "span_s": round(span, 3),
            "span_uncertainty_s": round(first_err + last_err, 3),
            "calls_per_s_fit": round(_slope(polls, total), 3),
            "calls_per_s_as_total_over_span": round(total / span, 3) if span > 0 else 0.0,
            "requests": len(jobs),
            "accounts": size.b3_accounts,
            "replicas": len(replicas),
            "errors": errors,
            "statuses": statuses,
            "wall_s": round(wall, 3),
            "enedis_rate_limit": RATE_LIMIT,
            "target": TARGETS["B3"],
            "target_met": (
                rate >= 0.9 * RATE_LIMIT and max_1s <= RATE_LIMIT and limited == 0 and errors == 0
            ),
        }

    # -- B4 ------------------------------------------------------------------------------
    async def b4(self) -> dict[str, Any]:
        size = self.size
        (gateway,) = await self.replicas(1)
        a, b = await ready_accounts(self.http, [gateway.url], 2)
        await asyncio.sleep(1.0)
        a_params = {"usage_point_id": a.usage_points[0], **_range(self.today, size.b4_days)}
        a_task = asyncio.create_task(self.get(gateway.url + CURVE, a.bearer, a_params))
        await asyncio.sleep(0.5)  # A's calls are queued at the limiter
        b_answers = await self._one_day_each_interval(gateway.url, b, a_task.done)
        a_status, a_time, _, _ = await a_task
        b_figures = _fairness(b_answers)
        return {
            **b_figures,
            "a_status": a_status,
            "a_wall_s": round(a_time, 3),
            "a_days": size.b4_days,
            "target": TARGETS["B4"],
            "target_met": _fair(b_figures) and a_status == 200,
        }

    async def _one_day_each_interval(
        self, url: str, account: Account, until: Callable[[], bool]
    ) -> list[tuple[int, float, bytes, dict[str, str]]]:
        """B4's account B: a new day of daily consumption every ``b4_interval`` s, sent
        without waiting for the previous answer, until ``until()`` (and at least
        ``b4_min_requests``); the answers."""
        size = self.size
        tasks: list[asyncio.Task[tuple[int, float, bytes, dict[str, str]]]] = []
        index = 0
        while not until() or index < size.b4_min_requests:
            params = {
                "usage_point_id": account.usage_points[0],
                **_range(self.today - timedelta(days=2 + index), 1),
            }
            tasks.append(asyncio.create_task(self.get(url + DAILY, account.bearer, params)))
            index += 1
            await asyncio.sleep(size.b4_interval)
        return list(await asyncio.gather(*tasks))

    # -- B5 ------------------------------------------------------------------------------
    async def b5(self) -> dict[str, Any]:
        size = self.size
        (gateway,) = await self.replicas(1)
        account = await ready_account(self.http, gateway.url)
        params = {"usage_point_id": account.usage_points[0], **_range(self.today, size.b5_days)}
        await asyncio.sleep(1.0)  # the limiter idle
        before = await self.stats()
        status, wall, _, headers = await self.get(gateway.url + CURVE, account.bearer, params)
        after = await self.stats()
        calls = upstream_calls(after, "consumption_load_curve") - upstream_calls(
            before, "consumption_load_curve"
        )
        ideal = calls / RATE_LIMIT
        ratio = wall / ideal if ideal else 0.0
        return {
            "ratio": round(ratio, 3),
            "wall_time_s": round(wall, 3),
            "upstream_calls": calls,
            "ideal_s": round(ideal, 3),
            "days": size.b5_days,
            "status": status,
            "cache_status": headers.get("X-Cache-Status"),
            "enedis_rate_limit": RATE_LIMIT,
            "target": TARGETS["B5"],
            "target_met": status == 200 and 0 < ratio <= 1.1,
        }

    # -- B7 ------------------------------------------------------------------------------
    async def b7(self) -> dict[str, Any]:
        size = self.size
        (gateway,) = await self.replicas(1)
        account = await ready_account(self.http, gateway.url)
        params = {
            "usage_point_id": account.usage_points[0],
            **_range(self.today - timedelta(days=10), 30),
        }
        await asyncio.sleep(0.5)
        before = await self.stats()
        answers = await asyncio.gather(
            *(
                self.get(gateway.url + DAILY, account.bearer, params)
                for _ in range(size.b7_requests)
            )
        )
        after = await self.stats()
        calls = upstream_calls(after, "daily_consumption") - upstream_calls(
            before, "daily_consumption"
        )
        statuses: dict[str, int] = {}
        cache: dict[str, int] = {}
        for status, _, _, headers in answers:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            outcome = headers.get("X-Cache-Status", "-")
            cache[outcome] = cache.get(outcome, 0) + 1
        bodies = {body for _, _, body, _ in answers}
        return {
            "upstream_calls": calls,
            "sandbox_429_count": int(after["rate_limited"]) - int(before["rate_limited"]),
            "upstream_calls_by_name": {
                name: int(n) - int(before["calls"].get(name, 0))
                for name, n in after["calls"].items()
                if int(n) != int(before["calls"].get(name, 0))
            },
            "requests": size.b7_requests,
            "statuses": statuses,
            "cache_statuses": cache,
            "distinct_bodies": len(bodies),
            "target": TARGETS["B7"],
            "target_met": calls == 1 and statuses == {"200": size.b7_requests},
        }

    # -- B8 ------------------------------------------------------------------------------
    async def b8(self) -> dict[str, Any]:
        """The history import of ``B8_POINT`` on a replica of its own (the only one with
        ``IMPORT_ENABLED``, ``IMPORT_HISTORY_DAYS`` of the size), while an account B asks
        it one new day a second (B4's B; consented on another replica: B's own meter is
        not imported)."""
        size = self.size
        sandbox = await self.sandbox()
        (replica,) = await self.replicas(1)
        env = self.stack.gateway_env(
            sandbox, IMPORT_ENABLED="true", IMPORT_HISTORY_DAYS=str(size.b8_history_days)
        )
        gateway = self.stack.gateway("gateway-b8", env)
        await asyncio.to_thread(gateway.wait_ready, "/health/ready")
        try:
            return await self._b8(gateway, replica)
        finally:
            await asyncio.to_thread(gateway.stop)

    async def _b8(self, gateway: Proc, replica: Proc) -> dict[str, Any]:
        b = await ready_account(self.http, replica.url)
        a = await signed_up(self.http, gateway.url)
        plan = import_calls(
            B8_POINT, paris_today(), adapter_for(Generation.V2026), self.size.b8_history_days
        )
        ideal = dict(Counter(measure_of(call.endpoint).name for call in plan))
        await asyncio.sleep(1.0)  # the limiter idle
        before = await self.stats()
        started = time.monotonic()
        await consent_point(self.http, gateway.url, a, B8_CUSTOMER, B8_POINT)
        watch = asyncio.create_task(self._until_imported(gateway.url, a, started))
        await asyncio.sleep(0.5)  # the import's calls are queued at the limiter
        b_answers = await self._one_day_each_interval(gateway.url, b, watch.done)
        history, wall, at_end = await watch
        after = await self.stats()
        times = await asyncio.to_thread(_import_times, self.stack.postgres.url, B8_POINT)

        b_calls = sum(
            1 for _, _, _, headers in b_answers if headers.get("X-Cache-Status") == "MISS"
        )
        calls = {
            name: int(after["calls"].get(name, 0)) - int(before["calls"].get(name, 0))
            for name in ideal
        }
        calls[DAILY_OPERATION] -= b_calls  # B's one-day misses, one call each
        total = sum(calls.values())
        api = Api.MESURE.value
        window = int(at_end["calls_by_api"][api]) - int(before["calls_by_api"][api])
        ratio = wall / (window / RATE_LIMIT) if window else 0.0
        ratio_import = wall / (total / RATE_LIMIT) if total else 0.0
        b_figures = _fairness(b_answers)
        return {
            "ratio": round(ratio, 3),
            "ratio_import_calls_only": round(ratio_import, 3),
            "wall_time_s": round(wall, 3),
            **times,
            "import_calls": total,
            "ideal_calls": len(plan),
            "import_calls_by_operation": calls,
            "ideal_calls_by_operation": ideal,
            "calls_in_window": window,
            "b_calls_in_window": window - total,
            "ideal_s": round(window / RATE_LIMIT, 3),
            **b_figures,
            "history_status": history["status"],
            "days_cached": history["days_cached"],
            "history_days": self.size.b8_history_days,
            "sandbox_429_count": int(after["rate_limited"]) - int(before["rate_limited"]),
            "enedis_rate_limit": RATE_LIMIT,
            "target": TARGETS["B8"],
            "target_met": (
                history["status"] == "complete"
                and calls == ideal
                and 0 < ratio <= 1.15
                and _fair(b_figures)
            ),
        }

    async def _until_imported(
        self, url: str, account: Account, started: float
    ) -> tuple[dict[str, Any], float, dict[str, Any]]:
        """Poll ``GET /pdl`` every ``B8_POLL_SECONDS`` until the import of the account's
        point ends (``complete``, or ``failed``: an error); its history, the seconds from
        ``started`` (monotonic) to the poll that saw it end, and the sandbox's stats then."""
        while True:
            async with self.http.get(url + "/pdl", headers=account.bearer) as answer:
                answer.raise_for_status()
                (point,) = (await answer.json())["usage_points"]
            history: dict[str, Any] | None = point["history"]
            if history is not None and history["status"] == "complete":
                wall = time.monotonic() - started
                return history, wall, await self.stats()
            if history is not None and history["status"] == "failed":
                raise RuntimeError(f"the import failed: {history}")
            await asyncio.sleep(B8_POLL_SECONDS)


TARGETS = {
    "B1": "gateway >= 0.25 x bare requests/s (one process; 2 workers reported)",
    "B2": "added latency <= 2 ms at p50",
    "B3": (
        f">= {0.9 * RATE_LIMIT:g} calls/s (0.9 x ENEDIS_RATE_LIMIT), "
        f"<= {RATE_LIMIT} in any 1 s, 0 sandbox 429"
    ),
    "B4": "B's p95 <= 1.5 s",
    "B5": "wall / (calls / ENEDIS_RATE_LIMIT) <= 1.1",
    "B6": "peak RSS <= 150 MB",
    "B7": "1 upstream call",
    "B8": (
        "wall / (calls / ENEDIS_RATE_LIMIT) <= 1.15 (every call of the API while the import "
        "ran), import calls == the plan's, B's p95 <= 1.5 s"
    ),
}


def _fairness(answers: list[tuple[int, float, bytes, dict[str, str]]]) -> dict[str, Any]:
    """B4's figures of account B's answers (latencies in seconds)."""
    latencies = [seconds for _, seconds, _, _ in answers]
    return {
        "b_p95_latency_s": round(percentile(latencies, 0.95), 3),
        "b_p50_latency_s": round(percentile(latencies, 0.5), 3),
        "b_max_latency_s": round(max(latencies), 3),
        "b_requests": len(latencies),
        "b_errors": sum(1 for status, _, _, _ in answers if status != 200),
    }


def _fair(b_figures: dict[str, Any]) -> bool:
    """B4's fairness: B's p95 within 1.5 s, every answer a 200."""
    return bool(b_figures["b_p95_latency_s"] <= 1.5 and b_figures["b_errors"] == 0)


def _import_times(database_url: str, usage_point_id: str) -> dict[str, float | None]:
    """The import's own timestamps (``history_imports``): seconds queued (consent to
    start) and running (start to complete)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM started_at - created_at),"
            " extract(epoch FROM completed_at - started_at)"
            " FROM history_imports WHERE usage_point_id = %s",
            (usage_point_id,),
        ).fetchone()
    if row is None:
        return {"queued_s": None, "running_s": None}
    return {
        "queued_s": None if row[0] is None else round(float(row[0]), 3),
        "running_s": None if row[1] is None else round(float(row[1]), 3),
    }


def _crossing(polls: list[tuple[float, int]], value: int) -> tuple[float, float]:
    """When the polled count first reached ``value``: the middle of that poll interval,
    and half its length (the uncertainty)."""
    previous = None
    for moment, count in polls:
        if count >= value:
            if previous is None:
                return moment, 0.0
            return (previous + moment) / 2, (moment - previous) / 2
        previous = moment
    return (polls[-1][0] if polls else 0.0), 0.0


def _slope(polls: list[tuple[float, int]], total: int) -> float:
    """Least-squares calls per second over the polls between the first and the last call."""
    points = [(t, c) for t, c in polls if 0 < c < total]
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_c = sum(c for _, c in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (c - mean_c) for t, c in points)
    return cov / var if var else 0.0


class StatsPoller:
    """Polls the sandbox's ``total_calls`` every 10 ms from a thread of its own (not the
    orchestrator's event loop, busy with the requests), over one keep-alive connection."""

    def __init__(self, port: int, interval: float = 0.01) -> None:
        self.port = port
        self.interval = interval
        self.polls: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stats-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            while not self._stop.is_set():
                connection.request("GET", "/__sandbox/stats")
                total = int(json.loads(connection.getresponse().read())["total_calls"])
                self.polls.append((time.monotonic(), total))
                self._stop.wait(self.interval)
        finally:
            connection.close()

    def finish(self) -> list[tuple[float, int]]:
        self._stop.set()
        self._thread.join(10)
        return self.polls


class RssSampler:
    """Peak RSS of a process (MB), sampled every 50 ms."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0.0
        self._stop = False

    def sample(self) -> float:
        rss = round(self.process.memory_info().rss / 1_048_576, 1)
        self.peak = max(self.peak, rss)
        return rss

    async def run(self) -> None:
        while not self._stop:
            self.sample()
            await asyncio.sleep(self.interval)
        self.sample()

    def stop(self) -> None:
        self._stop = True
