"""Run the HTTP service until a signal: the body of `safetynet serve` and `safetynet demo`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from router.api.app import Extension, create_app
from router.service import Service


async def serve(
    service: Service,
    host: str,
    port: int,
    ready: Callable[[int], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
    extensions: Sequence[Extension] = (),
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set); shut down cleanly."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(create_app(service, extensions), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    server = site._server  # aiohttp exposes no public accessor for the bound port
    if port == 0 and isinstance(server, asyncio.base_events.Server) and server.sockets:
        bound = int(server.sockets[0].getsockname()[1])
    await service.start()
    # What start-up built (the app, the protocol, the roster index, imported modules) lives as
    # long as the process: out of the collector's sight, a full collection does not walk it
    # again and again, so it does not pause a timer for tens of milliseconds.
    gc.freeze()
    try:
        if ready is not None:
            await ready(bound)
        await stop.wait()
    finally:
        await runner.cleanup()
        await service.stop()
