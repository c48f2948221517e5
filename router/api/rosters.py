"""Roster drafts, publishing, and who is on call."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from router.api.audited import audited
from router.api.context import services
from router.api.errors import parse_body
from router.api.params import MAX_WINDOW, query_time, roster_name, window
from router.api.routing import json_of, require, route
from router.api.views import coverage_view, iso, report_view
from schedules import Roster

DEFAULT_WINDOW = timedelta(days=7)


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: AwareDatetime = Field(alias="from")
    end: AwareDatetime = Field(alias="to")
    force: bool = False
    reason: str | None = Field(default=None, max_length=2000)


@route(
    "PUT",
    "/v1/rosters/{name}",
    roles=("scheduler",),
    body=Roster,
    query={"from": "coverage window start (default now)", "to": "window end (default +7 days)"},
    summary="Save a roster draft and check its coverage",
)
async def put_roster(request: web.Request) -> web.Response:
    require(request, "scheduler")
    name = roster_name(request)
    roster = await parse_body(request, Roster)
    svc = services(request)
    start = query_time(request, "from", svc.engine.clock.now())
    end = query_time(request, "to", start + DEFAULT_WINDOW)
    window(start, end, MAX_WINDOW)
    coverage, report = await svc.engine.rosters.put_draft(name, roster, start, end)
    return json_of(
        {
            "name": name,
            "draft": True,
            "coverage": coverage_view(coverage),
            "report": report_view(report, roster.timezone),
        }
    )


@route(
    "POST",
    "/v1/rosters/{name}/publish",
    roles=("scheduler",),
    body=PublishIn,
    summary="Publish the draft as a new immutable version (refused with primary gaps unless forced)",
)
async def publish(request: web.Request) -> web.Response:
    p = require(request, "scheduler")
    name = roster_name(request)
    body = await parse_body(request, PublishIn)
    window(body.start, body.end, MAX_WINDOW)
    svc = services(request)
    version, coverage, changes = await svc.engine.rosters.publish(
        name, body.start, body.end, body.force, p.who, body.reason
    )
    await audited(request, "roster.publish", detail=f"roster={name} version={version.version}")
    await svc.engine.arm_shift_change()
    await svc.engine.dispatch()
    return json_of(
        {
            "name": name,
            "version": version.version,
            "published_at": iso(version.published_at),
            "forced": version.forced,
            "coverage": coverage_view(coverage),
            "changed_for": changes.affected,
        }
    )


@route(
    "GET",
    "/v1/oncall",
    roles=("responder", "scheduler", "manager"),
    query={"at": "instant (default now)"},
    summary="Who is primary, backup and supervisor at an instant",
)
async def oncall(request: web.Request) -> web.Response:
    require(request, "responder", "scheduler", "manager")
    svc = services(request)
    at = query_time(request, "at", svc.engine.clock.now())
    who, version = await svc.engine.rosters.on_call(at)
    latest = await svc.store.latest_version()
    return json_of(
        {
            "at": iso(at),
            "primary": list(who.primary),
            "backup": list(who.backup),
            "supervisor": list(who.supervisor),
            "roster": latest.name if latest else None,
            "version": version,
        }
    )
