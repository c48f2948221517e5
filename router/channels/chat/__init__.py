"""Web chat: a one-script widget on the hotline's site, talking to SafetyNet over a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from router.channels.chat.handlers import HUB, add_routes, language_of
from router.channels.chat.hub import GRACE_S, ChatHub, ChatSession
from router.service import Service

__all__ = ["GRACE_S", "HUB", "ChatHub", "ChatSession", "install", "language_of"]


def install(app: web.Application, service: Service) -> None:
    """Serve the widget, its socket and demo page, and listen to the engine for chat contacts."""
    hub = ChatHub(service)
    service.feed.views.append(hub)
    add_routes(app, hub)
    sweeper: list[asyncio.Task[None]] = []

    async def startup(_: web.Application) -> None:
        sweeper.append(asyncio.create_task(hub.sweep(), name="chat-sweep"))

    async def shutdown(_: web.Application) -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await hub.close()

    app.on_startup.append(startup)
    app.on_shutdown.append(shutdown)
