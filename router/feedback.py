"""Anonymous feedback: one optional question after a text contact; answers counted by day.

What survives an answer is one tally mark per answer: a store timer named
`tally:feedback:<day>:<answer>:<random>` that falls due (and is forgotten) when the protocol's
`retention.contact_records` runs out. It carries no contact id, no address, no responder and no
time finer than the hotline's local day, and it never enters the event stream (whose ids are
timestamps): nothing links an answer back to the person or the conversation. The "was asked"
and "already answered" marks (`mark_once` on the person's keyed hash) last only ANSWER_WITHIN.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from protocols import Protocol
from router.store import Store
from router.timer_models import Timer, TimerKind

PREFIX = "tally:feedback:"
# How long after the close a reply is still read as the answer (a store mark's lifetime).
ANSWER_WITHIN_S = 3600.0


def asked_mark(sender_key: str) -> str:
    return f"feedback-asked:{sender_key}"


def answered_mark(sender_key: str) -> str:
    return f"feedback-answered:{sender_key}"


def question(p: Protocol, language: str | None) -> str | None:
    """The question in the person's language (or the protocol's fallback), with the scale."""
    fb = p.feedback
    if fb is None:
        return None
    by_key = {k.split("-")[0]: v for k, v in fb.question.items()}
    wanted = (language or "").split("-")[0].lower()
    text = by_key.get(wanted) or by_key.get(p.fallback.split("-")[0]) or next(iter(fb.question.values()))
    return text.replace("{hotline}", p.hotline or p.name)


async def ask(store: Store, p: Protocol, sender_key: str) -> None:
    """Remember (briefly) that this person was asked, so their reply is read as an answer."""
    if p.feedback is not None:
        await store.mark_once(asked_mark(sender_key), ANSWER_WITHIN_S)


async def take_answer(store: Store, p: Protocol, sender_key: str, body: str, now: datetime) -> bool:
    """True when `body` answers a question this person was asked (and it was counted)."""
    fb = p.feedback
    if fb is None:
        return False
    answer = fb.answer(body)
    if answer is None:
        return False
    ttl = ANSWER_WITHIN_S
    # mark_once is True when the mark was NOT there: then nobody asked this person.
    if await store.mark_once(asked_mark(sender_key), ttl):
        return False
    if not await store.mark_once(answered_mark(sender_key), ttl):
        return False  # one answer per question
    await count(store, p, answer, now)
    return True


async def count(store: Store, p: Protocol, answer: str, now: datetime) -> None:
    day = p.local(now).date()
    end_of_day = datetime.combine(day + timedelta(days=1), time(), p.zone)
    keep_until = end_of_day + p.retention.contact_records
    tally = Timer(
        id=f"{PREFIX}{day.isoformat()}:{answer}:{secrets.token_hex(6)}", kind=TimerKind.tally, due=keep_until
    )
    await store.arm([tally])


async def report(store: Store, p: Protocol, start: date, end: date) -> dict[str, Any]:
    """Answers per day in [start, end] (the hotline's local days), and in total."""
    by_day: dict[str, Counter[str]] = {}
    for t in await store.timers():
        if t.kind != TimerKind.tally or not t.id.startswith(PREFIX):
            continue
        day, _, rest = t.id.removeprefix(PREFIX).partition(":")
        answer = rest.rpartition(":")[0]
        if start.isoformat() <= day <= end.isoformat():
            by_day.setdefault(day, Counter())[answer] += 1
    total: Counter[str] = Counter()
    for counts in by_day.values():
        total.update(counts)
    scale = list(p.feedback.scale) if p.feedback else sorted(total)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "question": dict(p.feedback.question) if p.feedback else None,
        "scale": scale,
        "answers": sum(total.values()),
        "total": {a: total.get(a, 0) for a in scale},
        "by_day": {d: {a: c.get(a, 0) for a in scale} for d, c in sorted(by_day.items())},
    }
