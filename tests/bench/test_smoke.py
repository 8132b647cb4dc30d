"""The benchmark harness runs end to end on a tiny size (the figures are not checked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIOS = [f"B{n}" for n in range(1, 9)]


def test_bench_runs_on_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "tiny"],
        env={**os.environ, "BENCH_OUT": str(out)},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(out.read_text())
    assert sorted(results) == SCENARIOS
    for scenario in SCENARIOS:
        figures = results[scenario]
        assert "error" not in figures, (scenario, figures)
        assert isinstance(figures["target"], str) and figures["target"]
        assert isinstance(figures["target_met"], bool)
    assert "B1" in run.stdout and "| met" in run.stdout  # the table was printed
    assert (tmp_path / "profile-B1.html").is_file()
    assert results["B1"]["requests_per_s"] > 0
    assert results["B7"]["upstream_calls"] >= 1
