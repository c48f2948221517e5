"""`trusted` builds the engine's own records without validation: each must be the record
validation would have built (same values, same extras, same fields set), and a misspelt or
missing field must still be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from protocols import Priority, default_protocol
from router import intake
from router.models import Contact, ContactIn, ContactStatus, Event, Message, Offer, TimelineEntry
from router.timer_models import Timer, TimerKind
from router.trusted_records import trusted

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def same(a: object, b: object) -> None:
    assert type(a) is type(b)
    assert a == b
    assert a.model_dump_json() == b.model_dump_json()  # type: ignore[attr-defined]
    assert a.model_fields_set == b.model_fields_set  # type: ignore[attr-defined]
    assert a.__pydantic_extra__ == b.__pydantic_extra__  # type: ignore[attr-defined]
    assert repr(a) == repr(b)


CASES: list[tuple[type, dict[str, object]]] = [
    (Timer, {"id": "esc:c:0", "kind": TimerKind.escalate, "due": NOW, "contact_id": "c", "step": 0}),
    (Timer, {"id": "shift", "kind": TimerKind.shift_change, "due": NOW, "notify": ["a"], "via": ["sms"]}),
    (Event, {"at": NOW, "event": "offered", "contact_id": "c", "status": "offered", "offer_id": "o", "n": 1}),
    (Event, {"at": NOW, "event": "plain"}),
    (TimelineEntry, {"at": NOW, "event": "received", "flags": ["x"], "rules": []}),
    (Message, {"at": NOW, "direction": "in", "body": "hello"}),
    (Message, {"at": NOW, "direction": "out", "body": "Hi, this is the hotline.", "responder": "r1"}),
    (
        Offer,
        {
            "id": "o",
            "contact_id": "c",
            "responder": "r",
            "channel": "sms",
            "priority": Priority.high,
            "created_at": NOW,
            "expires_at": NOW + timedelta(minutes=2),
        },
    ),
    (
        Contact,
        {
            "id": "c",
            "channel": "chat",
            "status": ContactStatus.queued,
            "priority": Priority.normal,
            "seq": 3,
            "received_at": NOW,
            "deadline": NOW + timedelta(minutes=5),
            "target_s": 300.0,
            "protocol_version": "p-1",
            "sender": "+15550001234",
        },
    ),
]


@pytest.mark.parametrize(("cls", "values"), CASES)
def test_trusted_is_the_validated_record(cls: type, values: dict[str, object]) -> None:
    same(trusted(cls, **values), cls(**values))


def test_each_shape_is_worked_out_once_and_builds_the_same_records_after() -> None:
    # The same names again take the shape worked out the first time (router/trusted_records.py
    # keys it by class and names); other names, or the same in another order, one of their own.
    for _ in range(2):
        for cls, values in CASES:
            same(trusted(cls, **values), cls(**values))
            reordered = dict(reversed(list(values.items())))
            same(trusted(cls, **reordered), cls(**reordered))
    for _ in range(2):  # a refusal is never kept as a shape
        with pytest.raises(TypeError, match="no field 'stepp'"):
            trusted(Timer, id="t", kind=TimerKind.escalate, due=NOW, stepp=1)


def test_defaults_from_factories_are_fresh_each_time() -> None:
    a = trusted(Timer, id="t", kind=TimerKind.hold, due=NOW)
    b = trusted(Timer, id="t", kind=TimerKind.hold, due=NOW)
    a.notify.append("x")
    assert b.notify == []


def test_an_unknown_or_missing_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field 'stepp'"):
        trusted(Timer, id="t", kind=TimerKind.escalate, due=NOW, stepp=1)
    with pytest.raises(TypeError, match="needs 'due'"):
        trusted(Timer, id="t", kind=TimerKind.escalate)


@pytest.mark.parametrize("body", [None, "I want to end it all", "hola"])
@pytest.mark.parametrize("channel", ["chat", "sms", "voice", "email"])
def test_intake_builds_records_validation_accepts_unchanged(channel: str, body: str | None) -> None:
    """Every record intake builds without validation passes validation as it is."""
    p = default_protocol()
    incoming = ContactIn.model_validate(
        {"channel": channel, "from": "+15550001234", "body": body, "language": "es"}
    )
    built = intake.build(incoming, p, NOW, "c_1", 1, 2, "key", [])
    t = built.transition
    records = [t.contact, *t.arm, *t.events, *t.contact.timeline]
    assert len(t.arm) >= 2
    # The first message is in the record as built, timed at arrival; "received" says it.
    assert t.contact.messages == ([Message(at=NOW, direction="in", body=body)] if body else [])
    assert [e.event for e in t.contact.timeline] == ["received"]
    for record in records:
        revalidated = type(record).model_validate(record.model_dump())
        assert revalidated == record
        assert revalidated.model_dump_json() == record.model_dump_json()


@pytest.mark.parametrize("fields", [{}, {"responder": "r1", "notify": ["backup"], "waited_s": 1.5}])
def test_record_builds_the_validated_entry_and_event(fields: dict[str, object]) -> None:
    from router import transitions as tr

    contact = trusted(Contact, **dict(CASES[-1][1]))
    updated, ev = tr.record(contact, NOW, "escalated", **fields)
    same(updated.timeline[-1], TimelineEntry(at=NOW, event="escalated", **fields))
    same(ev, Event(at=NOW, event="escalated", contact_id="c", status="queued", **fields))
    assert updated.timeline[-1].__pydantic_extra__ is not ev.__pydantic_extra__


def test_entries_of_one_shape_share_their_names_and_the_shapes_kept_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One set of names per shape (never changed in place), not one per record; past the bound a
    # new shape's record gets a set of its own, the right one, and nothing more is kept.
    from router import transitions as tr
    from router import trusted_records

    contact = trusted(Contact, **dict(CASES[-1][1]))
    first = tr.record(contact, NOW, "noted", shape_a=1)[0].timeline[-1]
    second = tr.record(contact, NOW, "noted", shape_a=2)[0].timeline[-1]
    assert first.model_fields_set is second.model_fields_set == {"at", "event", "shape_a"}
    monkeypatch.setattr(trusted_records, "_GIVEN", {})
    monkeypatch.setattr(trusted_records, "GIVEN_MAX", 1)
    tr.record(contact, NOW, "noted", shape_b=1)
    entry, ev = tr.record(contact, NOW, "noted", shape_c=1)
    assert entry.timeline[-1].model_fields_set == {"at", "event", "shape_c"}
    assert ev.model_fields_set == {"at", "event", "contact_id", "status", "shape_c"}
    assert len(trusted_records._GIVEN) == 1
