"""What the RedisStore's memory of its own writes guesses falls due (router/store/known.py): only an
escalation or breach due alone among its contact's timers (an offer's timeout only when such are
all that is due), with the contact as written, and nothing it cannot vouch for."""

from __future__ import annotations

from datetime import timedelta

from router.clock import to_ms
from router.store.known import Known
from router.store.shapes import ContactView, Transition
from router.timer_models import Rung, Timer, TimerKind
from tests.conftest import START
from tests.contract.test_store_contract import contact

DUE = START + timedelta(minutes=5)
NOW = to_ms(DUE)


def timer(cid: str, kind: TimerKind = TimerKind.escalate, due: timedelta = timedelta()) -> Timer:
    return Timer(id=f"{kind.value}:{cid}", kind=kind, due=DUE + due, contact_id=cid)


def wrote(known: Known, cid: str, *arm: Timer, rev: int = 1, disarm: list[str] | None = None) -> None:
    c = contact(cid).model_copy(update={"rev": rev})
    t = Transition(contact=c, expect_rev=None if rev == 1 else rev - 1, arm=list(arm), disarm=disarm or [])
    known.wrote(t, c)


def test_an_escalation_due_alone_is_guessed_once_with_its_contact_as_written() -> None:
    known = Known()
    wrote(known, "a", timer("a"), timer("a", TimerKind.breach, timedelta(minutes=15)))
    assert known.due(NOW - 1, 10) == []
    [(guessed, c)] = known.due(NOW, 10)
    assert guessed.id == "escalate:a" and c.id == "a" and c.rev == 1
    assert known.due(NOW, 10) == []  # taken off: the claim has it now


def test_a_contact_with_another_timer_due_beside_it_is_left_to_the_claim() -> None:
    known = Known()
    wrote(known, "a", timer("a"), timer("a", TimerKind.offer_timeout))
    wrote(known, "b", timer("b", TimerKind.offer_timeout))
    assert known.due(NOW, 10) == []
    assert known.due(NOW + 60_000, 10) == []  # both taken off the first time


def test_disarmed_completed_forgotten_or_moved_elsewhere_is_not_guessed() -> None:
    known = Known()
    wrote(known, "a", timer("a"))
    wrote(known, "a", rev=2, disarm=["escalate:a"])
    wrote(known, "b", timer("b"))
    known.completed(["escalate:b"])
    wrote(known, "c", timer("c"))
    known.forget("c")
    wrote(known, "d", timer("d"))
    newer = contact("d").model_copy(update={"rev": 3})
    known.read(ContactView(newer, [], None))  # another instance wrote it: its timers unknown here
    wrote(known, "e", timer("e"))
    wrote(known, "e", timer("e", due=timedelta(minutes=10)), rev=2)  # armed again, for later
    assert known.due(NOW, 10) == []
    assert [t.id for t, _ in known.due(NOW + 600_000, 10)] == ["escalate:e"]


def test_timers_go_with_their_contact_when_it_is_no_longer_kept() -> None:
    known = Known(keep=2)
    for cid in ("a", "b", "c"):
        wrote(known, cid, timer(cid))
    assert sorted(c.id for _, c in known.due(NOW, 10)) == ["b", "c"]


def test_offer_timeouts_are_guessed_only_when_they_are_all_that_falls_due() -> None:
    # Guessed, they are written before anything the claim fires; the claim's way fires the
    # ladder's steps first: beside a step, or anything else due, they are left to the claim.
    known = Known()
    wrote(known, "a", timer("a", TimerKind.offer_timeout))
    wrote(known, "b", timer("b", TimerKind.offer_timeout))
    assert [t.id for t, _ in known.due(NOW, 10)] == ["offer_timeout:a", "offer_timeout:b"]
    wrote(known, "c", timer("c", TimerKind.offer_timeout))
    wrote(known, "d", timer("d"))
    assert [t.id for t, _ in known.due(NOW, 10)] == ["escalate:d"]
    wrote(known, "e", timer("e", TimerKind.offer_timeout))
    wrote(known, "f", timer("f", TimerKind.hold))
    assert known.due(NOW, 10) == []


def test_a_guessed_timer_is_the_one_armed_field_for_field_and_is_held_as_one_tracked_object() -> None:
    # Held packed (one tuple, not the model, its dict and three lists): what a guess fires is
    # rebuilt from it, and must be the record armed, down to the names it was given (the dump
    # of what the guess writes depends on them) and lists that are lists again.
    armed = Timer(
        id="escalate:a",
        kind=TimerKind.escalate,
        due=DUE,
        contact_id="a",
        step=2,
        notify=["sup"],
        via=["sms", "voice"],
        partner="p1",
        then=[Rung(step=3, after=timedelta(minutes=20), notify=["lead"])],
    )
    known = Known()
    wrote(known, "a", armed)
    held = known._timers["escalate:a"]
    assert not any(type(v) in (list, dict, Timer) for v in held)
    [(guessed, _)] = known.due(NOW, 10)
    assert guessed == armed and guessed is not armed
    assert guessed.model_fields_set == armed.model_fields_set
    assert guessed.model_dump_json() == armed.model_dump_json()
    assert type(guessed.notify) is list and type(guessed.then) is list
    guessed.notify.append("x")  # its own lists, not shared with anything held
    assert armed.notify == ["sup"]


def test_guesses_come_earliest_first_whatever_order_they_were_armed_in() -> None:
    known = Known()
    for cid, minutes in (("late", 30), ("first", -20), ("mid", 1), ("early", -1)):
        wrote(known, cid, timer(cid, due=timedelta(minutes=minutes)))
    assert [c.id for _, c in known.due(NOW + 60_000, 10)] == ["first", "early", "mid"]
    assert [c.id for _, c in known.due(NOW + 30 * 60_000, 10)] == ["late"]
