"""`dispatcher.choose` (its checks inlined for speed) against the rules spelled out plainly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.promises import PASSES_PER_STEP
from router.dispatcher import Choice, Snapshot, choose, eligible_pool, passes_this_step, suits
from router.models import Contact, Responder, TimelineEntry
from schedules import OnCall
from tests.contract.test_store_contract import contact

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
COOLDOWN = timedelta(minutes=2)
IDS = [f"r{i}" for i in range(6)]
CHANNELS = ["sms", "chat", "voice"]


def plainly(c: Contact, snap: Snapshot) -> Choice:
    """The rules one by one: on call in the audience, suited, free, not passed over too often;
    the longest idle of those who never declined, else the earliest decline past its cooldown."""
    passes = passes_this_step(c)
    fresh, tried, waiting = [], [], []
    for rid in eligible_pool(c, snap.oncall):
        r = snap.responders.get(rid)
        if r is None or not suits(r, c) or not snap.free(rid, c.channel):
            continue
        if passes.get(rid, 0) >= PASSES_PER_STEP:
            continue
        declined = c.declined.get(rid)
        if declined is None:
            fresh.append((snap.idle.get(rid, NOW), rid))
        elif declined + COOLDOWN <= NOW:
            tried.append((declined, rid))
        else:
            waiting.append(declined + COOLDOWN)
    for pool in (fresh, tried):
        if pool:
            return Choice(responder=snap.responders[min(pool)[1]])
    return Choice(retry_at=min(waiting) if waiting else None)


seconds = st.integers(min_value=-600, max_value=600).map(lambda s: NOW + timedelta(seconds=s))
responder = st.builds(
    lambda rid, channels, languages, skills, cap: Responder(
        id=rid, name=rid, channels=channels, languages=languages, skills=skills, capacity=cap
    ),
    st.just("x"),
    st.lists(st.sampled_from(CHANNELS), min_size=1, unique=True),
    st.lists(st.sampled_from(["en", "es", "fr-CA"]), min_size=1, unique=True),
    st.lists(st.sampled_from(["legal", "youth"]), unique=True),
    st.fixed_dictionaries({}, optional={ch: st.integers(0, 2) for ch in CHANNELS}),
)


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(st.tuples(st.sampled_from(IDS), responder), unique_by=lambda p: p[0]),
    primary=st.lists(st.sampled_from(IDS), unique=True),
    backup=st.lists(st.sampled_from(IDS), unique=True),
    presence=st.dictionaries(st.sampled_from(IDS), st.sampled_from(["available", "away", "busy"])),
    loads=st.dictionaries(st.tuples(st.sampled_from(IDS), st.sampled_from(CHANNELS)), st.integers(0, 2)),
    idle=st.dictionaries(st.sampled_from(IDS), seconds),
    declined=st.dictionaries(st.sampled_from(IDS), seconds),
    lapsed=st.lists(st.sampled_from(IDS)),
    channel=st.sampled_from(CHANNELS),
    language=st.sampled_from([None, "en", "es-MX", "fr"]),
    skills=st.lists(st.sampled_from(["legal", "youth"]), unique=True),
    audience=st.sampled_from([["primary"], ["backup"], ["primary", "backup"]]),
)
def test_choose_follows_the_plain_rules(
    people: list[tuple[str, Responder]],
    primary: list[str],
    backup: list[str],
    presence: dict[str, str],
    loads: dict[tuple[str, str], int],
    idle: dict[str, datetime],
    declined: dict[str, datetime],
    lapsed: list[str],
    channel: str,
    language: str | None,
    skills: list[str],
    audience: list[str],
) -> None:
    responders = {rid: r.model_copy(update={"id": rid}) for rid, r in people}
    timeline = [
        TimelineEntry.model_validate({"at": NOW, "event": "offer_expired", "responder": r}) for r in lapsed
    ]
    c = contact(
        channel=channel,
        language=language,
        skills=skills,
        audience=audience,
        declined=declined,
        timeline=timeline,
    )
    snap = Snapshot(
        now=NOW,
        oncall=OnCall(at=NOW, primary=tuple(primary), backup=tuple(backup)),
        responders=responders,
        presence=presence,  # type: ignore[arg-type]
        loads=loads,
        idle=idle,
    )
    assert choose(c, snap, COOLDOWN) == plainly(c, snap)
