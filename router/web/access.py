"""Who is asking the console, and whether they see the supervisor's view."""

from __future__ import annotations

from aiohttp import web

from router.api.auth import Principal, authenticate
from router.api.errors import error_response
from router.service import Service
from schedules import Role

CONSOLE_SERVICE = web.AppKey("console_service", Service)
ROLES: tuple[Role, ...] = ("primary", "backup", "supervisor")


async def principal(request: web.Request) -> Principal | None:
    svc = request.app[CONSOLE_SERVICE]
    return await authenticate(
        svc.store, svc.settings.admin_token, request.headers.get("Authorization"), svc.engine.clock.now()
    )


def unauthenticated() -> web.Response:
    return error_response(401, "unauthenticated", "send Authorization: Bearer <token> with a valid token")


def forbidden(message: str) -> web.Response:
    return error_response(403, "forbidden", message)


async def on_call_roles(svc: Service, responder: str | None) -> list[Role]:
    """The roles this responder holds in the published roster right now."""
    if responder is None:
        return []
    who, _ = await svc.engine.rosters.on_call(svc.engine.clock.now())
    return [role for role in ROLES if responder in who.role(role)]


async def sees_all(svc: Service, p: Principal) -> bool:
    """The supervisor's view: managers and admins always, a responder while on call as supervisor."""
    if p.role in ("admin", "manager"):
        return True
    return p.role == "responder" and "supervisor" in await on_call_roles(svc, p.responder)
