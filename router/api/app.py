"""The aiohttp application: routes, auth and error middleware."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import structlog
from aiohttp import web

from router.api import (  # noqa: F401 - they register routes
    admin,
    calendar,
    contact_change,
    contacts,
    flags,
    offers,
    protocol,
    responders,
    rosters,
    staff,
    tokens,
)
from router.api.access import access_log, route_template
from router.api.auth import authenticate
from router.api.context import SERVICE
from router.api.errors import MAX_BODY, error_response, too_large
from router.api.openapi import document
from router.api.routing import PRINCIPAL, ROUTES, Handler, Route, json_of
from router.errors import RouterError
from router.service import Service
from router.store import StoreUnavailable

log = structlog.get_logger("router.api")


def _guarded(spec: Route) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if spec.roles is not None:
            svc = request.app[SERVICE]
            who = await authenticate(
                svc.store,
                svc.settings.admin_token,
                request.headers.get("Authorization"),
                svc.engine.clock.now(),
            )
            if who is None:
                return error_response(
                    401, "unauthenticated", "send Authorization: Bearer <token> with a valid token"
                )
            request[PRINCIPAL] = who
        return await spec.handler(request)

    return handle


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RouterError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.details)
    except StoreUnavailable as exc:
        log.error("store_unavailable", route=route_template(request), reason=str(exc)[:200])
        response = error_response(503, "store_unavailable", "the store cannot be reached; try again shortly")
        response.headers["Retry-After"] = "2"
        return response
    except web.HTTPRequestEntityTooLarge:
        big = too_large(MAX_BODY)
        return error_response(big.status, big.code, big.message, big.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason)
    except Exception:
        log.exception("unhandled", route=route_template(request), method=request.method)
        return error_response(
            500, "internal", "internal error; nothing was changed by this request unless its response said so"
        )


async def openapi(request: web.Request) -> web.Response:
    return json_of(document())


Extension = Callable[[web.Application, Service], None]


def create_app(service: Service, extensions: Sequence[Extension] = ()) -> web.Application:
    """The API of API.md; `extensions` add channel webhooks and pages (router/channels)."""
    app = web.Application(middlewares=[access_log, errors], client_max_size=MAX_BODY)
    app[SERVICE] = service
    for spec in ROUTES:
        app.router.add_route(spec.method, spec.path, _guarded(spec))
    app.router.add_get("/v1/openapi.json", openapi)
    for extend in extensions:
        extend(app, service)
    return app
