"""``python -m bench.profiled OUT.pyisession serve --port P``: the gateway CLI under pyinstrument.

The gateway's modules are imported before the profiler starts, so the profile shows the
serving (startup, then the load), not the imports. The session is saved when the gateway
returns (SIGINT/SIGTERM make it drain and exit normally).
"""

from __future__ import annotations

import importlib
import sys

_PRELOAD = (
    "gateway.app",
    "gateway.server",
    "gateway.surfaces.legacy",
    "gateway.surfaces.management",
    "gateway.surfaces.ops",
    "gateway.surfaces.v5",
)


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    for module in _PRELOAD:
        importlib.import_module(module)
    from pyinstrument import Profiler

    from gateway.__main__ import main as gateway_main

    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    try:
        code = gateway_main(argv)
    finally:
        session = profiler.stop()
        session.save(out)
    return code


if __name__ == "__main__":
    sys.exit(main())
