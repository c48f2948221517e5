"""Staffing planner: the fewest on-call responders per hour of the week that meet a target,
and a check of a draft roster against it."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from schedules import OnCallIndex, Shift
from simulations import erlang
from simulations.report import ContactRecord
from simulations.runner import Progress
from simulations.scenario import DAYS, WEEK_HOURS, Scenario
from simulations.segments import measure

HOUR = timedelta(hours=1)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class Plan:
    target_pct: float
    within_s: float
    required: list[int]
    first_guess: list[int]
    hour_pct: list[float | None] = field(default_factory=lambda: [None] * WEEK_HOURS)
    overall_pct: float | None = None
    answered_pct: float | None = None
    rounds: int = 0
    weeks: float = 0.0

    @property
    def meets(self) -> bool:
        return all(p is None or p >= self.target_pct for p in self.hour_pct)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target_pct": self.target_pct,
            "within_s": self.within_s,
            "required_by_hour_of_week": self.required,
            "erlang_c_first_guess": self.first_guess,
            "metric": "percent of contacts not left waiting past the response target",
            "simulated_pct_by_hour_of_week": self.hour_pct,
            "simulated_pct": self.overall_pct,
            "simulated_answered_within_target_pct": self.answered_pct,
            "meets_target_every_hour": self.meets,
            "refinement_rounds": self.rounds,
            "simulated_weeks_per_round": self.weeks,
        }


def overhead_s(sc: Scenario) -> float:
    """Expected time from offer to answer, counting offers that ring out or are declined:
    the part of the target a contact spends not waiting for a free responder."""
    b = sc.behaviour
    react = b.react.mean_s
    fail = b.no_answer + (1 - b.no_answer) * (1 - b.accept)
    if fail >= 1:
        return float("inf")
    timeout = sc.protocol.offer_timeout.total_seconds()
    lost = b.no_answer * timeout + (1 - b.no_answer) * (1 - b.accept) * react
    return react + b.answer_delay.mean_s + lost / (1 - fail)


def first_guess(sc: Scenario, target_pct: float, least: int = 1) -> list[int]:
    """Erlang C per hour of the week, as if each hour were in steady state: text channels
    count a responder as `capacity` servers, and offer overhead is taken off the target and
    added to the time a responder is held."""
    target = sc.protocol.response_target.total_seconds()
    extra = overhead_s(sc)
    out = []
    for how in range(WEEK_HOURS):
        rate = 0.0
        work = 0.0
        for ch, profile in sc.arrivals.items():
            lam = profile[how] / 3600
            cap = max(1, sc.responders.capacity.get(ch, 1))
            rate += lam
            work += lam * (sc.handle[ch].mean_s + extra) / cap
        if rate == 0:
            out.append(least)
            continue
        out.append(erlang.servers_for(rate, work / rate, max(0.0, target - extra), target_pct, least))
    return out


def plan_shifts(sc: Scenario, required: list[int], start: datetime, end: datetime) -> list[Shift]:
    """Always-on primaries s1..sN where s_k is on call in every hour that needs k or more."""
    shifts: list[Shift] = []
    open_at: dict[int, datetime] = {}
    cursor = start.replace(minute=0, second=0, microsecond=0)
    top = max(required, default=0)
    while cursor < end:
        need = required[sc.hour_of_week(cursor)]
        for k in range(1, top + 1):
            if k <= need and k not in open_at:
                open_at[k] = cursor
            elif k > need and k in open_at:
                shifts.append(Shift(responder=f"s{k}", role="primary", start=open_at.pop(k), end=cursor))
        cursor += HOUR
    shifts += [Shift(responder=f"s{k}", role="primary", start=s, end=cursor) for k, s in open_at.items()]
    return shifts


def kept(r: ContactRecord, until: datetime) -> bool:
    """Not left waiting past the target: answered within it, or gone before it. A caller who
    hangs up after a minute is not a staffing miss; counting them would chase patience, not
    coverage, and no number of responders would reach 99.5%."""
    return r.waited(until) <= r.target_s


@dataclass
class Trial:
    """One simulated staffing: per hour of the week, contacts seen and missed."""

    seen: list[int]
    missed: list[int]
    kept_pct: float | None
    answered_pct: float | None

    def pct(self, how: int) -> float | None:
        n = self.seen[how]
        return 100.0 * (n - self.missed[how]) / n if n else None

    def short(self, target_pct: float) -> list[int]:
        return [h for h in range(WEEK_HOURS) if (p := self.pct(h)) is not None and p < target_pct]


def wilson_upper(missed: int, n: int, z: float = 1.96) -> float:
    """Upper 95% bound of a miss rate: how bad it could still be, given what was seen."""
    if n == 0:
        return 1.0
    p = missed / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre + spread) / (1 + z * z / n)


async def trial(
    sc: Scenario, required: list[int], weeks: float, progress: Progress | None, workers: int = 1
) -> Trial:
    """`weeks` simulated with `required` on call: in segments on `workers` cores when that long
    (simulations/segments.py); the roster is a partial of a module-level function, so a worker
    process can be handed it."""
    roster = functools.partial(plan_shifts, sc, required)
    m = await measure(sc, 7 * weeks, roster, workers, progress)
    seen = [0] * WEEK_HOURS
    missed = [0] * WEEK_HOURS
    for part in m.parts:
        for r in part.records:
            how = sc.hour_of_week(r.received_at)
            seen[how] += 1
            missed[how] += not kept(r, part.end)
    records = m.records
    n = len(records)
    answered = sum(1 for r in records if r.answered_s is not None and r.answered_s <= r.target_s)
    return Trial(
        seen=seen,
        missed=missed,
        kept_pct=100.0 * (n - sum(missed)) / n if n else None,
        answered_pct=100.0 * answered / n if n else None,
    )


async def plan(
    sc: Scenario,
    target_pct: float | None = None,
    weeks: float = 4.0,
    rounds: int = 4,
    least: int = 1,
    progress: Progress | None = None,
    workers: int = 1,
) -> Plan:
    """Erlang C's guess; then simulate and add a responder to every hour of the week that
    missed the target, until none does (at most `rounds` runs). Then try one fewer in every
    hour, keeping a cut only where the simulation shows, with 95% confidence, that the hour
    still meets the target (quiet hours rarely have the contacts to show it), and confirm."""
    pct = sc.target_pct if target_pct is None else target_pct
    guess = first_guess(sc, pct, least)
    result = Plan(
        target_pct=pct,
        within_s=sc.protocol.response_target.total_seconds(),
        required=list(guess),
        first_guess=guess,
        weeks=weeks,
    )

    def adopt(t: Trial, required: list[int]) -> None:
        result.required = list(required)
        result.hour_pct = [t.pct(h) for h in range(WEEK_HOURS)]
        result.overall_pct, result.answered_pct = t.kept_pct, t.answered_pct

    current = await trial(sc, result.required, weeks, progress, workers)
    adopt(current, result.required)
    result.rounds = 1
    while current.short(pct) and result.rounds < rounds:
        bigger = list(result.required)
        for h in current.short(pct):
            bigger[h] += 1
        current = await trial(sc, bigger, weeks, progress, workers)
        adopt(current, bigger)
        result.rounds += 1
    if current.short(pct):
        return result
    cut = [max(least, c - 1) for c in result.required]
    if cut == result.required:
        return result
    probe = await trial(sc, cut, weeks, progress, workers)
    result.rounds += 1
    limit = 1 - pct / 100
    smaller = [
        c
        if c < result.required[h] and wilson_upper(probe.missed[h], probe.seen[h]) <= limit
        else result.required[h]
        for h, c in enumerate(cut)
    ]
    if smaller != result.required:
        confirm = await trial(sc, smaller, weeks, progress, workers)
        result.rounds += 1
        if not confirm.short(pct):
            adopt(confirm, smaller)
    return result


@dataclass(frozen=True)
class Shortfall:
    start: datetime
    end: datetime
    have: int
    need: int

    def describe(self, sc: Scenario) -> str:
        s, e = self.start.astimezone(sc.zone), self.end.astimezone(sc.zone)
        n = self.need - self.have
        who = "one responder" if n == 1 else f"{n} responders"
        # Stretches are cut at local midnight, so one ending on another day ends at midnight.
        until = e.strftime("%H:%M") if e.date() == s.date() else "24:00"
        return (
            f"{DAY_NAMES[s.weekday()]} {s:%Y-%m-%d} {s:%H:%M}\N{EN DASH}{until} is {who} short "
            f"(has {self.have} on call as primary, needs {self.need})"
        )


def primaries_by_hour(sc: Scenario, shifts: list[Shift], start: datetime, end: datetime) -> list[int]:
    """For each hour from `start`, the fewest primaries on call at any moment of that hour."""
    index = OnCallIndex(tuple(shifts))
    out = []
    cursor = start
    while cursor < end:
        edge = cursor + HOUR
        fewest = len(index.at(cursor).primary)
        change = index.next_change(cursor)
        while change is not None and change < edge:
            fewest = min(fewest, len(index.at(change).primary))
            change = index.next_change(change)
        out.append(fewest)
        cursor = edge
    return out


def check_roster(
    sc: Scenario, required: list[int], shifts: list[Shift], start: datetime, end: datetime
) -> list[Shortfall]:
    """Every stretch of [start, end) where the roster has fewer primaries than the plan needs,
    cut at midnight (local) so each line reads as one day."""
    start = start.replace(minute=0, second=0, microsecond=0)
    have = primaries_by_hour(sc, shifts, start, end)
    found: list[Shortfall] = []
    for i, n in enumerate(have):
        at = start + i * HOUR
        need = required[sc.hour_of_week(at)]
        if n >= need:
            continue
        prev = found[-1] if found else None
        new_day = at.astimezone(sc.zone).hour == 0
        if prev and prev.end == at and prev.have == n and prev.need == need and not new_day:
            found[-1] = Shortfall(prev.start, at + HOUR, n, need)
        else:
            found.append(Shortfall(at, at + HOUR, n, need))
    return found


def table(required: list[int]) -> str:
    """Hours down, days across: the shape a scheduler already reads a rota in."""
    lines = ["hour   " + " ".join(f"{d.title():>4}" for d in DAYS)]
    for h in range(24):
        lines.append(f"{h:02d}:00 " + " ".join(f"{required[d * 24 + h]:>4}" for d in range(7)))
    return "\n".join(lines)
