"""The week view as HTML: every value from the roster or the network goes through `escape`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from router.web.schedule_week import Block, Day, Week
from schedules import Gap, Role

RATING_WORDS = {"exceeds": "exceeds", "meets": "meets", "does_not_meet": "does not meet"}
ROLE_WORDS = {"primary": "Primary", "backup": "Backup", "supervisor": "Supervisor"}
# Standard 32 is about primary and backup; a missing supervisor is shown, in a quieter colour.
RED_ROLES: tuple[Role, ...] = ("primary", "backup")


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _hm(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%H:%M")


def _day_name(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _moment(when: datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    return f"{_day_name(local.date())} {local:%H:%M %Z}"


def _length(seconds: float) -> str:
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def link(week: Week, monday: date, source: str | None = None) -> str:
    query = {"week": monday.isoformat(), "roster": week.roster, "source": source or week.source}
    return "/schedule?" + urlencode(query)


def block_html(block: Block, role: str, day: Day, zone: ZoneInfo) -> str:
    end = "24:00" if block.end == day.end else _hm(block.end, zone)
    times = f"{_hm(block.start, zone)}&ndash;{end}"
    if block.gap:
        kind = "gap" if role in RED_ROLES else "gap quiet"
        who = "no one on call" if role in RED_ROLES else "no supervisor"
        return (
            f'<li class="block {kind}" data-start="{_e(block.start.isoformat())}">'
            f'<span class="time">{times}</span> <span class="who">{who}</span></li>'
        )
    names = ", ".join(_e(r) for r in block.responders)
    return (
        f'<li class="block" data-start="{_e(block.start.isoformat())}">'
        f'<span class="time">{times}</span> <span class="who">{names}</span></li>'
    )


def day_html(day: Day, zone: ZoneInfo, today: date) -> str:
    gaps = any(b.gap for role in RED_ROLES for b in day.lanes[role])
    classes = "day" + (" has-gap" if gaps else "") + (" today" if day.date == today else "")
    note = ""
    if abs(day.hours - 24) > 0.01:
        note = f'<p class="note">Clocks change today: this day is {day.hours:g} hours long.</p>'
    lanes = []
    for role, blocks in day.lanes.items():
        items = "".join(block_html(b, role, day, zone) for b in blocks)
        lanes.append(
            f'<div class="lane {role}"><h4>{ROLE_WORDS[role]}</h4><ol class="blocks">{items}</ol></div>'
        )
    return (
        f'<section class="{classes}" data-date="{day.date.isoformat()}" aria-label="{_day_name(day.date)}">'
        f"<h3>{_day_name(day.date)}</h3>{note}{''.join(lanes)}</section>"
    )


def _gap_items(kind: str, gaps: list[Gap], zone: ZoneInfo) -> str:
    return "".join(
        f'<li class="gap-line {kind}">{kind} gap {_moment(g.start, zone)} to {_moment(g.end, zone)} '
        f"({_length(g.seconds)})</li>"
        for g in gaps
    )


def figures_html(week: Week) -> str:
    r, zone = week.report, week.zone
    figures = [
        ("rating", "Rating", RATING_WORDS[r.rating]),
        ("primary", "Primary covered", _pct(r.primary_fraction)),
        ("backup", "Backup covered", _pct(r.backup_fraction)),
        (
            "primary-gaps",
            "Primary gaps",
            f"{len(r.primary_gaps)} ({_length(sum(g.seconds for g in r.primary_gaps))})",
        ),
    ]
    dl = "".join(
        f'<div class="figure {key}"><dt>{label}</dt><dd>{_e(value)}</dd></div>'
        for key, label, value in figures
    )
    covers = [("Language", c) for c in r.languages] + [("Skill", c) for c in r.skills]
    attributes = "".join(
        f'<li class="{"short" if c.fraction < 1 else "full"}" data-{kind.lower()}="{_e(c.value)}">'
        f"{kind} <b>{_e(c.value)}</b>: on call {_pct(c.fraction)} of the week</li>"
        for kind, c in covers
    )
    warnings = [
        f"{_e(b.responder)} is {b.roles[0]} and {b.roles[1]} at once from {_moment(b.start, zone)} "
        f"to {_moment(b.end, zone)}"
        for b in r.double_bookings
    ] + [
        f"{_e(x.responder)} is on call {_length(x.length.total_seconds())} in a row from "
        f"{_moment(x.start, zone)} (limit {_length(r.max_stretch.total_seconds())})"
        for x in r.long_stretches
    ]
    gap_lines = _gap_items("primary", r.primary_gaps, zone) + _gap_items("backup", r.backup_gaps, zone)
    return (
        f'<section class="figures rating-{r.rating}" aria-label="Coverage">'
        f'<dl id="figures">{dl}</dl>'
        + (f'<ul id="coverage-attributes" class="attributes">{attributes}</ul>' if attributes else "")
        + (f'<ul id="gaps" class="gaps">{gap_lines}</ul>' if gap_lines else "")
        + (f'<ul class="warnings">{"".join(f"<li>{w}</li>" for w in warnings)}</ul>' if warnings else "")
        + "</section>"
    )


def week_html(week: Week, today: date) -> str:
    """The fragment the page puts under its header: title, navigation, figures, seven days."""
    zone = week.zone
    what = f"version {week.version}" if week.version is not None else "draft"
    other = "draft" if week.source == "published" else "published"
    nav = (
        f'<nav class="weeks"><a id="prev-week" href="{_e(link(week, week.monday - timedelta(days=7)))}">'
        f"&larr; previous</a>"
        f'<a id="this-week" href="{_e(link(week, today - timedelta(days=today.weekday())))}">this week</a>'
        f'<a id="next-week" href="{_e(link(week, week.monday + timedelta(days=7)))}">next &rarr;</a>'
        f'<a id="other-source" href="{_e(link(week, week.monday, other))}">see the {other}</a></nav>'
    )
    title = (
        f'<h2 id="week-title">{_e(week.roster)} · {what} · week of {_day_name(week.monday)} '
        f"{week.monday.year} <small>({_e(week.timezone)})</small></h2>"
    )
    days = "".join(day_html(d, zone, today) for d in week.days)
    figures = figures_html(week)
    body = f'{title}{nav}{figures}<div class="days">{days}</div>'
    return f'<div id="week" data-source="{week.source}">{body}</div>'
