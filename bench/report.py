"""The one table printed at the end of ``python -m bench``."""

from __future__ import annotations

from typing import Any

from bench.suite import TITLES


def _f(value: Any, digits: int = 1) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def headline(scenario: str, r: dict[str, Any]) -> str:
    """The figures of a scenario in one line."""
    if "error" in r:
        return f"ERROR {r['error']}"
    if scenario == "B1":
        return (
            f"gateway {_f(r['requests_per_s'])} req/s, p50 {_f(r['p50_ms'])} ms, "
            f"p99 {_f(r['p99_ms'])} ms | bare {_f(r['bare_requests_per_s'])} req/s, "
            f"p50 {_f(r['bare_p50_ms'])} ms, p99 {_f(r['bare_p99_ms'])} ms | "
            f"ratio {_f(r['ratio_to_bare'], 3)}, errors {r['errors']}"
            + "".join(
                f" | {key.split('_')[1]} workers {_f(w['requests_per_s'])} req/s "
                f"(ratio {_f(w['ratio_to_bare'], 3)}, errors {w['errors']})"
                for key, w in r.items()
                if key.startswith("workers_")
            )
        )
    if scenario == "B2":
        return (
            f"added p50 {_f(r['added_latency_p50_ms'], 2)} ms, "
            f"p99 {_f(r['added_latency_p99_ms'], 2)} ms "
            f"(gateway p50 {_f(r['gateway_p50_ms'], 2)} / direct {_f(r['direct_p50_ms'], 2)} ms, "
            f"{r['samples']} samples); a bare proxy adds {_f(r['bare_proxy_added_p50_ms'], 2)}"
            f" ms, the gateway {_f(r['added_beyond_the_hop_p50_ms'], 2)} ms more; without the"
            f" sandbox's latency (no idle process) the gateway adds"
            f" {_f(r['without_sandbox_latency']['added_latency_p50_ms'], 2)} ms"
        )
    if scenario == "B3":
        return (
            f"{_f(r['upstream_calls_per_s'], 2)} calls/s, max {r['max_upstream_calls_in_1s']} "
            f"in 1 s, {r['sandbox_429_count']} x 429 ({r['upstream_calls']} calls in "
            f"{_f(r['span_s'], 2)} s, {r['errors']} errors)"
        )
    if scenario == "B4":
        return (
            f"B p95 {_f(r['b_p95_latency_s'], 3)} s (p50 {_f(r['b_p50_latency_s'], 3)} s, "
            f"{r['b_requests']} requests), A {_f(r['a_wall_s'], 1)} s for {r['a_days']} days"
        )
    if scenario == "B5":
        return (
            f"ratio {_f(r['ratio'], 3)} ({_f(r['wall_time_s'], 2)} s for "
            f"{r['upstream_calls']} calls, ideal {_f(r['ideal_s'], 2)} s)"
        )
    if scenario == "B6":
        return f"peak RSS {_f(r['peak_rss_mb'])} MB (before load {_f(r['rss_before_load_mb'])} MB)"
    if scenario == "B7":
        return (
            f"{r['upstream_calls']} upstream call(s) for {r['requests']} requests "
            f"(statuses {r['statuses']})"
        )
    if scenario == "B8":
        return (
            f"ratio {_f(r['ratio'], 3)} ({_f(r['wall_time_s'], 2)} s for {r['calls_in_window']} "
            f"calls of the API, {r['b_calls_in_window']} of them B's; import calls only "
            f"{_f(r['ratio_import_calls_only'], 3)}), {r['import_calls']} import calls "
            f"(plan {r['ideal_calls']}), B p95 {_f(r['b_p95_latency_s'], 3)} s "
            f"({r['b_requests']} requests)"
        )
    return ", ".join(f"{k}={v}" for k, v in r.items() if k not in ("target", "target_met"))


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = [("id", "scenario", "figures", "target", "met")]
    for scenario, r in results.items():
        met = "yes" if r.get("target_met") else "NO"
        rows.append(
            (scenario, TITLES[scenario], headline(scenario, r), str(r.get("target", "")), met)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for number, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if number == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)
