"""Running the gateway: listen, then on SIGTERM/SIGINT stop accepting and drain."""

from __future__ import annotations

import asyncio
import logging
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
    sites: Sequence[Site], grace: float, on_started: Callable[[], None] | None = None
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
                await web.TCPSite(runner, host, port, reuse_address=True).start()
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

    def started() -> None:
        log.info("gateway listening on http://%s:%d", settings.host, settings.port)

    asyncio.run(
        run_until_signal(
            [(build_app(settings), settings.host, settings.port)], settings.shutdown_grace, started
        )
    )
