"""Web chat: a one-script widget on the hotline's site, talking to SafetyNet over a WebSocket."""

from __future__ import annotations

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

    async def shutdown(_: web.Application) -> None:
        await hub.close()

    app.on_shutdown.append(shutdown)
