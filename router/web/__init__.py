"""The responder console: server-rendered page and small vanilla JS over the JSON API."""

from __future__ import annotations

from aiohttp import web

from router.service import Service
from router.web.feed import FEED, ConsoleFeed, Subscriber
from router.web.handlers import add_routes

__all__ = ["FEED", "ConsoleFeed", "Subscriber", "install"]


def install(app: web.Application, service: Service) -> None:
    """Serve /console and its live feed: a view on the shared stream (transitions and pages)."""
    feed = ConsoleFeed()
    service.feed.views.append(feed)
    add_routes(app, service, feed)

    async def shutdown(_: web.Application) -> None:
        feed.close()

    app.on_shutdown.append(shutdown)
