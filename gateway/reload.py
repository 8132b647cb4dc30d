"""`make dev`: run a `gateway` command and restart it when a file under gateway/ changes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _snapshot() -> dict[Path, float]:
    return {path: path.stat().st_mtime for path in PACKAGE.rglob("*.py")}


def main(argv: list[str]) -> int:
    command = [sys.executable, "-m", "gateway", *(argv or ["dev"])]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:
        seen = _snapshot()
        child = subprocess.Popen(command)
        while not stopping and child.poll() is None and _snapshot() == seen:
            time.sleep(0.5)
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
            child.wait()
        if stopping:
            return 0
        if child.returncode not in (0, None) and _snapshot() == seen:
            print("gateway exited; waiting for a change to restart", file=sys.stderr)
            while not stopping and _snapshot() == seen:
                time.sleep(0.5)
            if stopping:
                return 0
        print("change detected: restarting", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
