"""Running the gateway: listen, then on SIGTERM/SIGINT stop accepting and drain.

With ``GATEWAY_WORKERS`` > 1, the process forks that many workers minus one before any
event loop exists; each runs its own loop and application on the same port
(SO_REUSEPORT: the kernel spreads the connections) and shares everything through Redis
and PostgreSQL, as replicas do. The first process is worker 0; on SIGTERM/SIGINT it
passes the signal on to the others and waits for them to drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Sequence

from aiohttp import web

from gateway.app import build_app
from gateway.config import ConfigError, Settings
from gateway.logs import configure_logging
from gateway.observability.access_log import access_log_kwargs

log = logging.getLogger(__name__)

Site = tuple[web.Application, str, int]


async def run_until_signal(
    sites: Sequence[Site],
    grace: float,
    on_started: Callable[[], None] | None = None,
    *,
    reuse_port: bool = False,
) -> None:
    """Serve every (app, host, port) until SIGTERM/SIGINT, then stop accepting new
    connections and give in-flight requests ``grace`` seconds before closing resources."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runners: list[web.AppRunner] = []
    try:
        for app, host, port in sites:
            runner = web.AppRunner(app, shutdown_timeout=grace, **access_log_kwargs())
            await runner.setup()
            runners.append(runner)
            try:
                site = web.TCPSite(
                    runner, host, port, reuse_address=True, reuse_port=reuse_port or None
                )
                await site.start()
            except OSError as exc:
                raise ConfigError(
                    f"cannot listen on {host}:{port} ({exc.strerror or exc}): "
                    "choose another port (GATEWAY_PORT / SANDBOX_PORT)"
                ) from None
        if on_started is not None:
            on_started()
        await stop.wait()
        log.info("shutting down: draining in-flight requests (grace %.0fs)", grace)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
            # Stopping already: a repeated Ctrl-C (make and uv each pass the terminal's on)
            # must not cut the cleanup short with a KeyboardInterrupt.
            signal.signal(sig, signal.SIG_IGN)


def serve(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; in-flight requests get ``shutdown_grace`` seconds."""
    configure_logging(settings.log_level)
    children: list[int] = []
    for _ in range(settings.workers - 1):
        pid = os.fork()
        if pid == 0:  # a forked worker: serve, then exit (it forks no more)
            code = 0
            try:
                _serve_one(settings)
            except BaseException:  # logged; the worker exits with status 1
                log.exception("gateway worker failed")
                code = 1
            logging.shutdown()  # os._exit skips atexit: write the batched access lines
            os._exit(code)
        children.append(pid)

    def started() -> None:
        log.info(
            "gateway listening on http://%s:%d (%d worker%s)",
            settings.host,
            settings.port,
            settings.workers,
            "s" if settings.workers > 1 else "",
        )

    try:
        _serve_one(settings, started=started)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _serve_one(settings: Settings, started: Callable[[], None] | None = None) -> None:
    asyncio.run(
        run_until_signal(
            [(build_app(settings), settings.host, settings.port)],
            settings.shutdown_grace,
            started,
            reuse_port=settings.workers > 1,
        )
    )
