"""The access audit from a request: the named person behind its token, their role, their address."""

from __future__ import annotations

from aiohttp import web

from router.api.auth import Principal
from router.api.context import services
from router.api.routing import principal
from router.audit import AuditContext, audit
from router.service import Service


def request_ctx(request: web.Request, svc: Service, who: Principal) -> AuditContext:
    # The peer address as this process saw it (a reverse proxy's, behind one): never a header
    # the client could write.
    return AuditContext(svc.store, svc.engine.clock.now(), who.who, who.role, request.remote)


async def audited(request: web.Request, action: str, contact_id: str | None = None, detail: str = "") -> None:
    """Record an API request's read or change (the request already passed its role check)."""
    await audit(request_ctx(request, services(request), principal(request)), action, contact_id, detail)
