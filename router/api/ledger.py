"""The auditor's record over HTTP: report rows, CSV, days, breaches and evidence a page at a
time, debriefs, the access audit, and responders acknowledging the protocol version in force.

Every read here is read-only: `fresh` waits (briefly) for the writer to file the stream as it
stood when the request came (router/ledger/reach.py), and answers say how far it is filed."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from router.api.audited import audited
from router.api.context import services
from router.api.errors import ApiError, parse_body
from router.api.params import query_time, window
from router.api.report_ask import (
    PAGE_QUERY,
    WINDOW_QUERY,
    bad_cursor,
    fresh,
    paging,
    report_ask,
)
from router.api.routing import json_of, principal, require, route
from router.ledger import csvout
from router.ledger.evidence import STANDARDS, evidence_page
from router.ledger.paging import BadCursor, Page
from router.ledger.queries import breaches
from router.ledger.reach import Filed
from router.ledger.records import add_debrief, list_audit, list_debriefs
from router.ledger.rows import contact_rows
from router.ledger.tally import tally, window_of
from router.models import Event
from router.reports import daily
from router.service import Service


@route(
    "GET",
    "/v1/reports/daily",
    roles=("manager",),
    query=WINDOW_QUERY,
    summary="Counts and answer times per local day of the window (the manager's page charts)",
)
async def report_daily(request: web.Request) -> web.Response:
    ask = await report_ask(request)
    svc, start, end, channel, done = ask.svc, ask.start, ask.end, ask.channel, ask.done
    zone = ZoneInfo(svc.engine.protocol.timezone)
    async with svc.ledger.reading() as conn:
        counted = await tally(conn, start, end, svc.engine.clock.now(), channel, zone)
    return json_of(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "timezone": zone.key,
            "channel": channel,
            "target_s": svc.engine.protocol.response_target.total_seconds(),
            "days": daily(counted),
            "filed_through": done.view(),
        }
    )


def _paged(start: datetime, end: datetime, found: Page, done: Filed, **extra: Any) -> web.Response:
    return json_of(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            **extra,
            **found.view(),
            "filed_through": done.view(),
        }
    )


@route(
    "GET",
    "/v1/reports/breaches",
    roles=("manager",),
    query=PAGE_QUERY,
    summary="The window's breaches of the target, a page at a time in arrival order",
)
async def report_breaches(request: web.Request) -> web.Response:
    limit, after = paging(request)
    ask = await report_ask(request)
    svc, start, end, channel, done = ask.svc, ask.start, ask.end, ask.channel, ask.done
    try:
        async with svc.ledger.reading() as conn:
            found = await breaches(conn, window_of(start, end, channel), svc.engine.clock.now(), limit, after)
    except BadCursor:
        raise bad_cursor() from None
    return _paged(start, end, found, done, channel=channel)


@route(
    "GET",
    "/v1/reports/evidence",
    roles=("manager",),
    query={**PAGE_QUERY, "standard": "27, 28, 29, 30 or 31"},
    summary="One standard's evidence (the contacts it names), a page at a time",
)
async def report_evidence(request: web.Request) -> web.Response:
    limit, after = paging(request)
    standard = request.query.get("standard", "")
    if standard not in STANDARDS:
        raise ApiError(
            422,
            "invalid_standard",
            f"standard: {standard!r} is not one of {', '.join(STANDARDS)} (32 has no contact list)",
            [{"loc": ["query", "standard"], "msg": "unknown standard"}],
        )
    ask = await report_ask(request)
    svc, start, end, channel, done = ask.svc, ask.start, ask.end, ask.channel, ask.done
    now, p = svc.engine.clock.now(), svc.engine.protocol
    try:
        async with svc.ledger.reading() as conn:
            found = await evidence_page(conn, standard, start, end, now, p, channel, limit, after)
    except BadCursor:
        raise bad_cursor() from None
    return _paged(start, end, found, done, channel=channel, standard=standard)


@route(
    "GET",
    "/v1/reports/contacts",
    roles=("manager",),
    query={**WINDOW_QUERY, "contact_id": "only this contact's row (the page opens one contact's facts)"},
    summary="One row of facts per contact received in the window (no personal data)",
)
async def report_rows(request: web.Request) -> web.Response:
    one = request.query.get("contact_id") or None
    ask = await report_ask(request)
    svc, start, end, channel, done = ask.svc, ask.start, ask.end, ask.channel, ask.done
    now = svc.engine.clock.now()
    async with svc.ledger.reading() as conn:
        rows = [r async for r in contact_rows(conn, start, end, now, channel, one)]
    target = svc.engine.protocol.response_target.total_seconds()
    return json_of(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "target_s": target,
            "rows": rows,
            "filed_through": done.view(),
        }
    )


@route(
    "GET",
    "/v1/reports/compliance.csv",
    roles=("manager",),
    query=WINDOW_QUERY,
    summary="The compliance CSV: one row per contact, facts only",
)
async def report_csv(request: web.Request) -> web.StreamResponse:
    ask = await report_ask(request)
    svc, start, end, channel = ask.svc, ask.start, ask.end, ask.channel
    now = svc.engine.clock.now()
    name = f"compliance-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    # On the access audit, by the person behind the token, before any row leaves (a read that
    # cannot be recorded does not happen). The entry is an event the writer files later: this
    # request itself writes nothing to the ledger.
    what = f"csv {start.isoformat()}..{end.isoformat()}" + (f" channel={channel}" if channel else "")
    await audited(request, "report.export", detail=what)
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        }
    )
    await resp.prepare(request)
    await resp.write(csvout.header().encode())
    async with svc.ledger.reading() as conn:
        chunk: list[str] = []
        async for row in contact_rows(conn, start, end, now, channel):
            chunk.append(csvout.line(row))
            if len(chunk) >= 1000:
                await resp.write("".join(chunk).encode())
                chunk = []
        await resp.write("".join(chunk).encode())
    await resp.write_eof()
    return resp


class DebriefIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["meeting", "immediate"]
    at: AwareDatetime
    attendees: list[str] = Field(min_length=1, max_length=100)
    contact_ids: list[str] = Field(default_factory=list, max_length=500)
    # Personal-ish: only whether notes exist reaches the ledger.
    notes: str | None = Field(default=None, max_length=20_000)


async def _supervisor_or_manager(request: web.Request, svc: Service) -> str:
    p = principal(request)
    if p.role in ("manager", "admin"):
        return p.actor
    if p.role == "responder" and p.responder:
        oncall, _ = await svc.engine.rosters.on_call(svc.engine.clock.now())
        if p.responder in oncall.supervisor:
            return p.actor
    raise ApiError(403, "forbidden", "only a supervisor on call, a manager or an admin records debriefs")


@route(
    "POST",
    "/v1/debriefs",
    roles=("responder", "manager"),
    body=DebriefIn,
    summary="Record a debrief meeting or an immediate debrief (Standard 31)",
)
async def post_debrief(request: web.Request) -> web.Response:
    svc = services(request)
    who = await _supervisor_or_manager(request, svc)
    body = await parse_body(request, DebriefIn)
    if body.kind == "immediate" and not body.contact_ids:
        raise ApiError(
            422,
            "validation_failed",
            "contact_ids: an immediate debrief names the contact(s) it follows",
            [{"loc": ["contact_ids"], "msg": "required for an immediate debrief"}],
        )
    record: dict[str, Any] = {
        "id": f"d_{secrets.token_hex(8)}",
        "kind": body.kind,
        "at": body.at,
        "attendees": body.attendees,
        "contact_ids": body.contact_ids,
        "has_notes": bool(body.notes and body.notes.strip()),
        "recorded_by": who,
        "recorded_at": svc.engine.clock.now(),
    }
    await add_debrief(svc.ledger, record)
    out = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}
    return json_of(out, status=201)


@route(
    "GET",
    "/v1/debriefs",
    roles=("responder", "manager"),
    query={"from": "window start (default 30 days ago)", "to": "window end (default now)"},
    summary="Debriefs recorded in a window",
)
async def get_debriefs(request: web.Request) -> web.Response:
    svc = services(request)
    await _supervisor_or_manager(request, svc)
    now = svc.engine.clock.now()
    end = query_time(request, "to", now)
    start = query_time(request, "from", end - timedelta(days=30))
    window(start, end)
    return json_of(await list_debriefs(svc.ledger, start, end))


@route(
    "GET",
    "/v1/audit",
    roles=(),
    query={
        "contact_id": "only this contact",
        "actor": "only this person",
        "from": "window start (default 30 days ago)",
        "to": "window end (default now)",
    },
    summary="Who read or changed what, when and from where (admin)",
)
async def get_audit(request: web.Request) -> web.Response:
    require(request)
    svc = services(request)
    await fresh(svc)
    now = svc.engine.clock.now()
    end = query_time(request, "to", now)
    start = query_time(request, "from", end - timedelta(days=30))
    window(start, end)
    found = await list_audit(
        svc.ledger,
        start,
        end,
        request.query.get("contact_id") or None,
        request.query.get("actor") or None,
    )
    return json_of(found)


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | None = Field(default=None, max_length=64)


@route(
    "POST",
    "/v1/protocol/acknowledge",
    roles=("responder",),
    body=AcknowledgeIn,
    summary="A responder acknowledges the protocol version in force (Standard 28)",
)
async def acknowledge_protocol(request: web.Request) -> web.Response:
    p = require(request, "responder")
    if p.responder is None:
        raise ApiError(403, "forbidden", "only a responder's own token acknowledges the protocol")
    svc = services(request)
    body = await parse_body(request, AcknowledgeIn)
    version = svc.engine.protocol.version
    if body.version is not None and body.version != version:
        raise ApiError(
            409,
            "not_in_force",
            f"version: {body.version!r} is not the version in force ({version})",
            [{"loc": ["version"], "msg": "not the version in force"}],
        )
    now = svc.engine.clock.now()
    event = Event(
        at=now,
        event="audit",
        actor=p.responder,
        role="responder",
        action="protocol_acknowledged",
        detail=version,
    )
    await svc.store.record([event])
    return json_of({"version": version, "responder": p.responder, "at": now.isoformat()}, status=201)
