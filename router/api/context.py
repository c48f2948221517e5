"""Where handlers find the running service."""

from __future__ import annotations

from aiohttp import web

from router.service import Service

SERVICE = web.AppKey("service", Service)


def services(request: web.Request) -> Service:
    return request.app[SERVICE]
