"""HTTP and WebSocket endpoints of the web chat: the widget script, the socket, leave, a demo page."""

from __future__ import annotations

import contextlib
import json
import re
from importlib import resources
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from router import safejson
from router.api.errors import error_response
from router.channels.chat.hub import MAX_BODY, ChatHub, ChatSession
from router.channels.chat.limits import client_address, origin_allowed
from router.errors import RouterError
from router.store import StoreUnavailable
from router.transitions import ConversationFull

log = structlog.get_logger("router.channels.chat")
HUB = web.AppKey("chat_hub", ChatHub)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})?$")
# The widget is embedded on the hotline's own site; nothing here may be cached by a shared proxy
# in a way that ties a person to a page, and the page must never be framed by a third party.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# WebSocket close code for "too many new chats" (4000-4999 are the application's own; 429 echoed).
CLOSE_TOO_MANY = 4429
SLOW_DOWN = (
    "You are sending messages very fast, so that one was not sent. Please wait a moment and send it again."
)
FULL = "This conversation cannot take any more messages. Everything you wrote so far has been kept."


def _asset(name: str) -> str:
    return resources.files("router.channels.chat").joinpath(name).read_text(encoding="utf-8")


def language_of(value: object, offered: list[str]) -> str | None:
    """The protocol language closest to what the widget asked for, if it is a language tag at all."""
    if not isinstance(value, str) or not _LANGUAGE.match(value):
        return None
    wanted = value.lower()
    for lang in offered:
        if lang.lower() == wanted:
            return lang
    base = wanted.split("-")[0]
    for lang in offered:
        if lang.lower().split("-")[0] == base:
            return lang
    return base


async def widget(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[WIDGET_JS],
        content_type="application/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def demo(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[DEMO_HTML], content_type="text/html", headers={**NO_STORE, "X-Frame-Options": "DENY"}
    )


async def socket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    own = f"{request.scheme}://{request.host}".lower()
    if not origin_allowed(request.headers.get("Origin"), hub.origins, own):
        log.warning("chat_origin_refused")
        return error_response(
            403, "origin_not_allowed", "this page's origin may not open the chat: see SAFETYNET_CHAT_ORIGINS"
        )
    address = client_address(request.remote, request.headers.get("X-Forwarded-For"))
    if not hub.limits.connects.take(address):
        log.warning("chat_connects_limited")
        return error_response(429, "too_many_requests", "too many chat connections; try again in a minute")
    ws = web.WebSocketResponse(heartbeat=25, max_msg_size=4 * MAX_BODY + 1024)
    await ws.prepare(request)
    session: ChatSession | None = None
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = _frame(msg.data)
            if frame is None:
                await ws.send_json({"type": "error", "message": "frames are JSON objects with a type"})
                continue
            kind = frame.get("type")
            if kind == "hello":
                sid, token = _str(frame.get("session")), _str(frame.get("token"))
                if not hub.valid(sid, token) and not hub.limits.sessions.take(address):
                    log.warning("chat_sessions_limited")
                    await ws.close(code=CLOSE_TOO_MANY, message=b"too many new chats from this address")
                    break
                if session is not None:
                    hub.detach(session, ws)
                offered = list(hub.engine.protocol.languages)
                session = await hub.open_session(sid, token, language_of(frame.get("language"), offered))
                hub.attach(session, ws)
                await ws.send_json(await hub.state(session))
            elif session is None:
                await ws.send_json({"type": "error", "message": "send hello first"})
            elif kind == "message":
                if not hub.limits.messages.take(address):
                    await ws.send_json({"type": "error", "message": SLOW_DOWN})
                    continue
                await _guarded(ws, hub.write(session, _str(frame.get("body")) or ""))
            elif kind == "feedback":
                await _guarded(ws, hub.answer_feedback(session, _str(frame.get("answer")) or ""))
            elif kind == "leave":
                await _guarded(ws, hub.leave(session))
                session = None
                break
    finally:
        if session is not None:
            hub.detach(session, ws)
    return ws


async def leave(request: web.Request) -> web.Response:
    """navigator.sendBeacon target for a page going away: the socket may not get to say goodbye."""
    hub = request.app[HUB]
    frame = _frame(await request.text()) or {}
    sid, token = frame.get("session"), frame.get("token")
    if not hub.valid(sid, token):
        return web.Response(status=204)  # nothing to say to someone who cannot prove the session
    session = await hub.open_session(_str(sid), _str(token), None)
    await hub.leave(session)
    return web.Response(status=204, headers={"Access-Control-Allow-Origin": "*"})


async def _guarded(ws: web.WebSocketResponse, call: Any) -> None:
    try:
        await call
    except StoreUnavailable:
        log.error("chat_store_unavailable")
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_json({"type": "error", "message": "We could not save that. Please try again."})
    except RouterError as exc:
        log.warning("chat_rejected", code=type(exc).__name__)
        text = FULL if isinstance(exc, ConversationFull) else "That could not be done right now."
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_json({"type": "error", "message": text})


def _frame(data: str) -> dict[str, Any] | None:
    try:
        value = safejson.loads(data)  # a deep frame is refused, not recursed into
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


WIDGET_JS = web.AppKey("chat_widget_js", str)
DEMO_HTML = web.AppKey("chat_demo_html", str)


def add_routes(app: web.Application, hub: ChatHub) -> None:
    app[HUB] = hub
    app[WIDGET_JS] = _asset("widget.js").replace("/*__CSS__*/", json.dumps(_asset("widget.css")))
    app[DEMO_HTML] = _asset("demo.html")
    app.router.add_get("/channels/chat/widget.js", widget)
    app.router.add_get("/channels/chat/ws", socket)
    app.router.add_post("/channels/chat/leave", leave)
    app.router.add_get("/channels/chat/demo", demo)
