"""A transition as transition.lua takes it: its keys and its one JSON argument."""

from __future__ import annotations

from typing import Any

import orjson

from router.clock import to_ms
from router.keys import Keys
from router.models import OfferStatus
from router.store import fastjson
from router.store.records import ContactCodec, with_rev
from router.store.seen import step_record
from router.store.shapes import Transition


def args(t: Transition, codec: ContactCodec, wake: str, view: bool = False) -> list[str]:
    """ARGV: the payload, the wake channel, then the records it names by their ARGV index (the
    contact's, each offer's, timer's and event's JSON as they are stored), each its own argument
    so that neither the encoder nor Redis's cjson escapes and unescapes them inside the payload.
    The payload is encoded by orjson: json.dumps took ~10 times as long (a transition on every
    intake, offer, escalation and close; cjson reads either the same). `view`: a refusal
    carries the contact as it stands (transition.lua)."""
    t.check_numbered()
    rev = (t.expect_rev or 0) + 1
    contact = with_rev(t.contact, rev)
    record, added = codec.encode_over(contact, t.expect_rev, t.contact)
    argv = ["", wake, record]

    def arg(record: str) -> int:
        argv.append(record)
        return len(argv)  # Lua's ARGV counts from 1

    payload: dict[str, Any] = {
        "id": contact.id,
        "expect_rev": False if t.expect_rev is None else t.expect_rev,
        "rev": rev,
        "enqueue": _score(t),
        "dequeue": t.dequeue,
        "open": str(to_ms(contact.received_at)) if contact.is_open else False,
        "sender_key": contact.sender_key or False,
        # The batches to append to the stored record's tail (router/store/tails.py); ARGV[3]
        # is then its new head. False: ARGV[3] is the record whole.
        "append": False if added is None else arg(added),
        "arrival": False
        if t.arrival is None
        else {
            "key": t.arrival[0],
            "member": f"{t.arrival[0]}|{to_ms(t.arrival[1]):015d}|{t.contact.id}",
            "forget": f"{t.arrival[0]}|{to_ms(t.arrival[2]):015d}",
        },
        "offers": [
            {
                "id": o.id,
                "json": arg(fastjson.flat(o)),
                "pending": str(to_ms(o.expires_at)) if o.status == OfferStatus.pending else False,
            }
            for o in t.offers
        ],
        "loads": [
            {"field": f"{c.responder}|{c.channel}", "delta": c.delta, "cap": c.capacity} for c in t.loads
        ],
        "require_available": list(t.require_available),
        "idle": [{"rid": rid, "ms": str(to_ms(at))} for rid, at in t.idle.items()],
        "disarm": list(t.disarm),
        "arm": [{"id": tm.id, "due": str(to_ms(tm.due)), "json": arg(fastjson.timer(tm))} for tm in t.arm],
        "events": [arg(fastjson.flat(e)) for e in t.events],
        "queue_empty": t.queue_empty,
        "view": view,
        "step": step_record(t.loads, t.idle) if t.loads or t.idle else False,
        "assign_seq": t.assign_seq,
        "expect_head": False if t.expect_head is None else str(t.expect_head),
        "expect_responders": t.expect_responders or False,
        "expect_due": False
        if t.expect_due is None
        else {
            "id": t.expect_due[0],
            "by": str(to_ms(t.expect_due[1])),
            "leased": str(to_ms(t.expect_due[2])),
        },
        "first_since": False
        if t.first_since is None
        else {"keys": t.first_since[0], "since": f"{to_ms(t.first_since[1]):015d}"},
    }
    argv[0] = orjson.dumps(payload).decode()
    return argv


def _score(t: Transition) -> str | bool:
    """The queue score, or its part before the seq when the script assigns that (a float's
    repr either way, which Redis reads back exactly)."""
    score = t.score_base() if t.assign_seq else t.enqueue_score
    return False if score is None else repr(float(score))


def keys(k: Keys, t: Transition) -> list[str]:
    return [
        k.contacts,
        k.revs,
        k.queue,
        k.open,
        k.offers,
        k.pending,
        k.load,
        k.presence,
        k.idle,
        k.timers,
        k.timer_data,
        k.events,
        k.senders,
        k.arrivals,
        k.contact_offers(t.contact.id),
        k.dispatch_version,
        k.responders_version,
        k.version_head,
        k.dispatch_steps,
        k.seq,
    ]
