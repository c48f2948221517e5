"""Run the HTTP service until a signal: the body of `safetynet serve` and `safetynet demo`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from aiohttp import web

from router.api.app import Extension, create_app
from router.service import Service

try:
    import uvloop

    HAVE_UVLOOP = True
except ImportError:  # optional: serve runs on asyncio's own loop without it
    HAVE_UVLOOP = False

T = TypeVar("T")


# The collector's thresholds in a running serve (Python's are 700, 10, 10). A request allocates
# hundreds of objects that refcounting frees at once; at 700 the young generation was collected
# ~35 times a second at 450 contacts/s, and a full collection (up to ~110 ms) came every few
# seconds and set the p99 of send->offer. What a young collection costs is not its threshold:
# it walks every young object still alive, and the engine's caches (`Known`'s 2,000 contacts,
# the codec's records) replace their content within seconds under load, so that is 100,000 to
# 155,000 objects whatever the threshold (20-130 ms here). The threshold only sets how often it comes:
# the count is of allocations net of frees, frees made while it is zero are not counted, so it
# climbs on the churn alone. At 20,000 that was a pause every 0.6-2 s under intake load (61 in
# 60 s at 800 contacts/s, 102 at 1,000/s) and the p99's largest share; at 200,000, 5-6 in the
# same minutes, and none in 15,000 contacts at 500/s (BENCHMARKS.md, twentieth session). The
# engine's own tracked objects are bounded by those caches, so cyclic garbage waits a little
# longer and nothing grows. The middle generation's every 20 young ones, as before.
GC_THRESHOLDS = (200_000, 20, 10)


def run(main: Coroutine[Any, Any, T], event_loop: str = "uvloop") -> T:
    """asyncio.run, on uvloop when asked for and installed (7-12% less CPU per contact taken in,
    BENCHMARKS.md servefast), else on asyncio's own loop (SAFETYNET_EVENT_LOOP=asyncio)."""
    if event_loop == "uvloop" and HAVE_UVLOOP:
        return uvloop.run(main)
    return asyncio.run(main)


async def serve(
    service: Service,
    host: str,
    port: int,
    ready: Callable[[int], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
    extensions: Sequence[Extension] = (),
    reuse_port: bool = False,
) -> None:
    """Serve until SIGINT/SIGTERM (or `stop` is set); shut down cleanly. `reuse_port`: one of
    `serve --workers N`, sharing the port with the others (router/workers.py)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(create_app(service, extensions), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    await site.start()
    bound = port
    # aiohttp exposes no public accessor for the bound port; asyncio's Server and uvloop's both
    # have `sockets` (uvloop's is not an asyncio.base_events.Server).
    sockets: Any = getattr(site._server, "sockets", None)
    if port == 0 and sockets:
        bound = int(sockets[0].getsockname()[1])
    await service.start()
    # What start-up built (the app, the protocol, the roster index, imported modules) lives as
    # long as the process: out of the collector's sight, a full collection does not walk it
    # again and again, so it does not pause a timer for tens of milliseconds.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        if ready is not None:
            await ready(bound)
        await stop.wait()
    finally:
        await runner.cleanup()
        await service.stop()
