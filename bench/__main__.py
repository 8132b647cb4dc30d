"""``python -m bench [--only B1,B3] [--size tiny|full] [--no-profile] [--keep]``.

Starts the embedded stack, runs the scenarios, prints one table and writes the results
(``bench/results.json``, or ``BENCH_OUT``) and, with B1, the profile beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import headline, table
from bench.suite import SCENARIOS, SIZES, TARGETS, Suite

DEFAULT_OUT = Path(__file__).resolve().parent / "results.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", default="", help="comma-separated scenario ids (default: all of B1..B8)"
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--no-profile", action="store_true", help="skip B1's profile")
    parser.add_argument("--keep", action="store_true", help="keep the temporary stack dir")
    parser.add_argument("--out", help="results file (default $BENCH_OUT or bench/results.json)")
    return parser.parse_args(argv)


def selected(only: str) -> list[str]:
    if not only.strip():
        return list(SCENARIOS)
    wanted = {part.strip().upper() for part in only.split(",") if part.strip()}
    unknown = wanted - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return [s for s in SCENARIOS if s in wanted]


async def run(ids: list[str], args: argparse.Namespace, out: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}

    def on_result(scenario: str, figures: dict[str, Any]) -> None:
        results[scenario] = figures
        mark = "met" if figures.get("target_met") else "NOT met"
        print(f"  {scenario}: {headline(scenario, figures)}  [{mark}]", flush=True)

    size = SIZES[args.size]
    async with Suite(size, out.parent, profile=not args.no_profile, keep=args.keep) as suite:
        print(f"bench: stack in {suite.stack.root}, size {size.name}", flush=True)
        await suite.run(ids, on_result)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    ids = selected(args.only)
    out = Path(args.out or os.environ.get("BENCH_OUT") or DEFAULT_OUT).resolve()
    started = time.monotonic()
    print(f"bench: running {', '.join(ids)} (size {args.size})", flush=True)
    results = asyncio.run(run(ids, args, out))
    for scenario in ids:  # every id present, even if the run was cut short
        results.setdefault(
            scenario, {"error": "did not run", "target": TARGETS[scenario], "target_met": False}
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(results))
    print(f"\nresults: {out} ({time.monotonic() - started:.0f} s)")
    return 1 if any("error" in figures for figures in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
