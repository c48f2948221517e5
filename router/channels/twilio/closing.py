"""Closing by SMS: a short guided dialogue that asks, one text at a time, for everything the
protocol requires (referral from the partner directory, safety plan, notes, the mandated-report
checklist). Nothing is closed until it is complete; ABORT (or CANCEL) stops it.

The draft lives on the contact itself (sealed at rest with the rest of the contact), so any
instance can take the next reply and nothing is lost on a restart."""

from __future__ import annotations

import re
from typing import Any

from protocols import Protocol
from router import transitions as tr
from router.channels.twilio.sms import short_code
from router.engine import Engine
from router.errors import RouterError
from router.models import Contact
from router.staffing import CLOSE_DRAFT
from router.store import Transition

DRAFT = CLOSE_DRAFT
_NONE = re.compile(r"^\s*none\b", re.IGNORECASE)
SKIP = frozenset({"SKIP", "-"})
STOP_HINT = "ABORT to stop."


def draft_of(contact: Contact) -> dict[str, Any] | None:
    draft = contact.outcome.get(DRAFT)
    return draft if isinstance(draft, dict) else None


async def save(engine: Engine, contact_id: str, draft: dict[str, Any] | None, event: str) -> None:
    """Write (or with None, drop) the draft; the timeline says a close is under way, not its text."""

    async def build(c: Contact) -> Transition:
        outcome = {k: v for k, v in c.outcome.items() if k != DRAFT}
        if draft is not None:
            outcome[DRAFT] = draft
        updated = c.model_copy(update={"outcome": outcome})
        fields: dict[str, Any] = {"missing": missing(engine.protocol, c, draft)} if draft else {}
        updated, ev = tr.record(updated, engine.clock.now(), event, **fields)
        return Transition(contact=updated, expect_rev=c.rev, events=[ev])

    await engine.change_or_stale(contact_id, build)


def _steps(p: Protocol, contact: Contact, draft: dict[str, Any]) -> list[str]:
    """Every answer the close needs, in the order they are asked."""
    needs = p.disposition_requirements(str(draft["disposition"]), contact.flags)
    steps: list[str] = [f for f in ("referral", "safety_plan", "notes") if f in needs]
    if "mandated_report" in needs:
        steps += [f"mandated_report.{i.key}" for i in p.mandated_reporting.checklist]
    return steps


def _done(draft: dict[str, Any], step: str) -> bool:
    if step.startswith("mandated_report."):
        report = draft.get("mandated_report") or {}
        return bool(report.get("not_required")) or step.split(".", 1)[1] in report
    return bool(draft.get(step))


def missing(p: Protocol, contact: Contact, draft: dict[str, Any] | None) -> list[str]:
    if not draft:
        return []
    return [s for s in _steps(p, contact, draft) if not _done(draft, s)]


def next_step(p: Protocol, contact: Contact) -> str | None:
    """What the close under way on this contact asks for next, if one is under way."""
    left = missing(p, contact, draft_of(contact))
    return left[0] if left else None


def _partner_list(p: Protocol) -> str:
    return "; ".join(f"{i} {x.id.upper()} {x.name}" for i, x in enumerate(p.partners, 1))


def question(p: Protocol, step: str) -> str:
    if step == "referral":
        return f"Which partner was the person referred to? Reply with the number or code: {_partner_list(p)}."
    if step == "safety_plan":
        return "What safety plan was made? Describe it in one text."
    if step == "notes":
        return "Notes on what happened?"
    key = step.split(".", 1)[1]
    item = next(i for i in p.mandated_reporting.checklist if i.key == key)
    first = p.mandated_reporting.checklist[0].key == key
    extra = " Or reply NONE <reason> if no report is due." if first else ""
    optional = " (optional: SKIP)" if not item.required else ""
    return f"Mandated report: {item.ask}{optional}{extra}"


def _label(step: str) -> str:
    """`mandated_report.client_informed` → `report: client informed`, for people."""
    if step.startswith("mandated_report."):
        return "report: " + step.split(".", 1)[1].replace("_", " ")
    return step.replace("_", " ")


def prompt(p: Protocol, contact: Contact, draft: dict[str, Any], problem: str = "") -> str:
    left = missing(p, contact, draft)
    code = short_code(contact.id)
    head = f"[{code}] {problem + ' ' if problem else ''}Closing as {draft['disposition']}."
    if len(left) > 1:
        head += f" Still needed: {', '.join(_label(x) for x in left)}."
    return f"{head} {question(p, left[0])} {STOP_HINT}"


def _pick_partner(p: Protocol, text: str) -> str | None:
    word = text.strip().strip(".").lower()
    if word.isdigit() and 1 <= int(word) <= len(p.partners):
        return p.partners[int(word) - 1].id
    for x in p.partners:
        if word in (x.id.lower(), x.name.lower()):
            return x.id
    return None if p.partners else (word or None)


def answer(p: Protocol, draft: dict[str, Any], step: str, text: str) -> str:
    """Put the reply into the draft; a non-empty result is what was wrong with it."""
    body = text.strip()
    if not body:
        return "That was empty."
    if step == "referral":
        partner = _pick_partner(p, body)
        if partner is None:
            return f"{body[:40]!r} is not in the partner directory."
        draft["referral"] = {"partner": partner}
    elif step in ("safety_plan", "notes"):
        draft[step] = body
    else:
        key = step.split(".", 1)[1]
        item = next(i for i in p.mandated_reporting.checklist if i.key == key)
        report: dict[str, Any] = dict(draft.get("mandated_report") or {})
        first = p.mandated_reporting.checklist[0].key == key
        if first and _NONE.match(body):
            reason = _NONE.sub("", body, count=1).strip(" :-")
            if not reason:
                return "Say why no report is due: NONE <reason>."
            report["not_required"] = reason
        elif body.upper() in SKIP:
            if item.required:
                return "This one is required."
            report[key] = None
        else:
            report[key] = body
        draft["mandated_report"] = report
    return ""


def start(p: Protocol, contact: Contact, disposition: str, notes: str | None) -> dict[str, Any]:
    """A new draft from "CLOSE [code] disposition [words]": the words fill what they can."""
    draft: dict[str, Any] = {"disposition": disposition}
    needs = p.disposition_requirements(disposition, contact.flags)
    words = notes
    if "referral" in needs and words:
        first, _, rest = words.partition(" ")
        partner = _pick_partner(p, first) if p.partners else None
        if partner is not None:
            draft["referral"] = {"partner": partner}
            words = rest.strip() or None
    if "safety_plan" in needs and words:
        draft["safety_plan"] = words
    if words:
        draft["notes"] = words
    return draft


async def finish(engine: Engine, contact: Contact, draft: dict[str, Any], by: str) -> str:
    """Close with everything gathered; the reply to send the responder."""
    outcome = {k: draft[k] for k in ("referral", "safety_plan") if draft.get(k)}
    if draft.get("mandated_report"):
        outcome["mandated_report"] = {k: v for k, v in draft["mandated_report"].items() if v is not None}
    disposition = str(draft["disposition"])
    try:
        await engine.close(contact.id, disposition, draft.get("notes"), by, outcome)
    except RouterError as exc:
        return f"[{short_code(contact.id)}] Not closed: {exc.message}. {STOP_HINT}"
    return f"[{short_code(contact.id)}] Closed: {disposition}. Thank you."


async def step(engine: Engine, contact: Contact, draft: dict[str, Any], by: str, reply: str | None) -> str:
    """Take one reply (None: just begun) and say what comes next, or close when complete."""
    p = engine.protocol
    problem = ""
    left = missing(p, contact, draft)
    if reply is not None and left:
        problem = answer(p, draft, left[0], reply)
    if not missing(p, contact, draft):
        result = await finish(engine, contact, draft, by)
        if "Not closed" in result:
            await save(engine, contact.id, draft, "close_draft")
        return result
    await save(engine, contact.id, draft, "close_draft")
    return prompt(p, contact, draft, problem)
