"""The load generator: a closed loop of keep-alive connections, run in a process of its own.

``python -m bench.load SPEC.json OUT.json``. The spec names the ``url``, the ``headers``,
the number of ``connections`` (one worker each, each with its own keep-alive connection),
the measured ``duration`` in seconds, an optional ``warmup`` (requests of the warm-up
are made but not counted) and an optional ``count_header`` whose values are tallied.
The result: requests, errors, status counts, elapsed seconds, requests per second and
latency percentiles in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest-rank; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def summary_ms(latencies: list[float]) -> dict[str, float]:
    """p50/p90/p95/p99/max of latencies given in seconds, in milliseconds."""
    return {
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 3),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "max_ms": round(max(latencies, default=0.0) * 1000, 3),
    }


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    tagged: Counter[str] = field(default_factory=Counter)  # values of ``count_header``
    body_bytes: int = 0
    errors: int = 0


async def _worker(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    count_header: str | None,
    measure_from: float,
    stop_at: float,
    tally: Tally,
) -> None:
    clock = time.perf_counter
    while True:
        started = clock()
        if started >= stop_at:
            return
        try:
            async with session.get(url, headers=headers) as answer:
                body = await answer.read()
                status = str(answer.status)
                tag = answer.headers.get(count_header, "-") if count_header else None
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, body, tag = type(exc).__name__, b"", None
        if started < measure_from:
            continue
        tally.latencies.append(clock() - started)
        tally.statuses[status] += 1
        tally.body_bytes += len(body)
        if tag is not None:
            tally.tagged[tag] += 1
        if status != "200":
            tally.errors += 1


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    connections = int(spec.get("connections", 64))
    duration = float(spec["duration"])
    warmup = float(spec.get("warmup", 0.0))
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=float(spec.get("timeout", 30.0)))
    tally = Tally()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        now = time.perf_counter()
        measure_from = now + warmup
        stop_at = measure_from + duration
        await asyncio.gather(
            *(
                _worker(
                    session,
                    spec["url"],
                    spec.get("headers", {}),
                    spec.get("count_header"),
                    measure_from,
                    stop_at,
                    tally,
                )
                for _ in range(connections)
            )
        )
        ended = time.perf_counter()
    # requests still running at stop_at finish after it: count the time they took
    elapsed = max(duration, ended - measure_from)
    requests = len(tally.latencies)
    return {
        "requests": requests,
        "errors": tally.errors,
        "statuses": dict(tally.statuses),
        "header_counts": dict(tally.tagged),
        "elapsed_s": round(elapsed, 3),
        "requests_per_s": round(requests / elapsed, 1) if elapsed > 0 else 0.0,
        "body_bytes": tally.body_bytes,
        "connections": connections,
        **summary_ms(tally.latencies),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.load SPEC.json OUT.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    result = asyncio.run(run(spec))
    Path(argv[1]).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
