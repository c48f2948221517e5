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
    presence=st.dictionaries(
        st.sampled_from(IDS), st.sampled_from(["available", "available", "away", "busy"])
    ),
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


# Everyone on call and suited, most of them free: the cases where several could take it, so
# that who goes first is tried (longest idle, the lower id on a tie, a decline's cooldown, passes
# used up). The test above seldom finds two free at once.
shared = st.sampled_from([NOW - timedelta(minutes=1), NOW - timedelta(minutes=2), NOW + timedelta(minutes=1)])


@settings(max_examples=300, deadline=None)
@given(
    away=st.lists(st.sampled_from(IDS), unique=True, max_size=2),
    loads=st.dictionaries(st.sampled_from(IDS), st.integers(0, 3)),
    idle=st.dictionaries(st.sampled_from(IDS), st.one_of(shared, seconds)),
    declined=st.dictionaries(st.sampled_from(IDS), st.one_of(shared, seconds), max_size=3),
    lapsed=st.lists(st.sampled_from(IDS), max_size=4),
)
def test_who_goes_first_among_many_free_follows_the_plain_rules(
    away: list[str],
    loads: dict[str, int],
    idle: dict[str, datetime],
    declined: dict[str, datetime],
    lapsed: list[str],
) -> None:
    responders = {rid: Responder(id=rid, name=rid, channels=["sms"], capacity={"sms": 3}) for rid in IDS}
    timeline = [
        TimelineEntry.model_validate({"at": NOW, "event": "offer_expired", "responder": r}) for r in lapsed
    ]
    c = contact(channel="sms", declined=declined, timeline=timeline)
    snap = Snapshot(
        now=NOW,
        oncall=OnCall(at=NOW, primary=tuple(reversed(IDS))),  # the roster's order is not the ids'
        responders=responders,
        presence={rid: "away" if rid in away else "available" for rid in IDS},
        loads={(rid, "sms"): n for rid, n in loads.items()},
        idle=idle,
    )
    assert choose(c, snap, COOLDOWN) == plainly(c, snap)


def _snap(
    oncall: OnCall,
    records: dict[str, Responder],
    loads: dict[tuple[str, str], int],
    idle: dict[str, datetime] | None = None,
) -> Snapshot:
    return Snapshot(
        now=NOW,
        oncall=oncall,
        responders=records,
        presence=dict.fromkeys(records, "available"),
        loads=loads,
        idle={"a": NOW - timedelta(minutes=5), "b": NOW - timedelta(minutes=1)} if idle is None else idle,
    )


def test_who_could_take_it_is_worked_out_again_when_the_records_or_the_slot_change() -> None:
    """`choose` and `anyone_free` keep who on call has the channel, and their capacity on it,
    while the roster slot and the responders' records are the very same objects."""
    on_chat = {rid: Responder(id=rid, name=rid, channels=["chat"], capacity={"chat": 1}) for rid in "ab"}
    both, only_a = OnCall(at=NOW, primary=("a", "b")), OnCall(at=NOW, primary=("a",))
    c = contact(channel="chat")
    assert choose(c, _snap(both, on_chat, {}), COOLDOWN).responder == on_chat["a"]  # idle longest

    # New records (a now answers SMS only), the same slot: a is no longer a candidate.
    a_on_sms = {**on_chat, "a": Responder(id="a", name="a", channels=["sms"], capacity={"sms": 1})}
    assert choose(c, _snap(both, a_on_sms, {}), COOLDOWN).responder == a_on_sms["b"]
    # Another slot with the same records: only a is on call, and a cannot take a chat.
    assert choose(c, _snap(only_a, a_on_sms, {}), COOLDOWN) == Choice()
    # Nobody primary, so the backup stands in: a (who cannot), then b (who can).
    a_backs, b_backs = OnCall(at=NOW, backup=("a",)), OnCall(at=NOW, backup=("b",))
    assert choose(c, _snap(a_backs, a_on_sms, {}), COOLDOWN) == Choice()
    assert choose(c, _snap(b_backs, a_on_sms, {}), COOLDOWN).responder == a_on_sms["b"]
    a_leads, b_leads = OnCall(at=NOW, supervisor=("a",)), OnCall(at=NOW, supervisor=("b",))
    assert choose(c, _snap(a_leads, a_on_sms, {}), COOLDOWN) == Choice()
    assert choose(c, _snap(b_leads, a_on_sms, {}), COOLDOWN).responder == a_on_sms["b"]

    # anyone_free: a is full on SMS; with the chat records a is free again, and not once more
    # with the SMS records.
    full = {("a", "sms"): 1}
    assert not _snap(only_a, a_on_sms, full).anyone_free()
    assert _snap(only_a, on_chat, full).anyone_free()
    assert not _snap(only_a, a_on_sms, full).anyone_free()
    # Capacity comes from the records too: room for two chats now.
    roomy = {"a": Responder(id="a", name="a", channels=["chat"], capacity={"chat": 2})}
    assert not _snap(only_a, on_chat, {("a", "chat"): 1}).anyone_free()
    assert _snap(only_a, roomy, {("a", "chat"): 1}).anyone_free()
    assert choose(c, _snap(only_a, roomy, {("a", "chat"): 1}), COOLDOWN).responder == roomy["a"]
    # Another slot, the same records: b is on call alone and free.
    assert not _snap(only_a, a_on_sms, full).anyone_free()
    assert _snap(OnCall(at=NOW, primary=("b",)), a_on_sms, full).anyone_free()


def test_an_offer_made_in_a_pass_leaves_the_shared_state_as_it_was() -> None:
    """A snapshot reads the store's state as it is (shared by every pass while its version
    holds); what a pass takes goes into its own copies, made at its first offer."""
    loads = {("a", "chat"): 1}
    idle = {"a": NOW - timedelta(minutes=5)}
    records = {"a": Responder(id="a", name="a", channels=["chat"], capacity={"chat": 3})}
    snap = _snap(OnCall(at=NOW, primary=("a",)), records, loads, idle)
    assert snap.loads is loads and snap.idle is idle  # nothing copied for a decision that offers nothing
    snap.took("a", "chat")
    snap.took("a", "chat")
    assert snap.loads == {("a", "chat"): 3} and snap.idle == {"a": NOW}
    assert loads == {("a", "chat"): 1} and idle == {"a": NOW - timedelta(minutes=5)}
    assert not snap.anyone_free()


def test_of_two_free_for_as_long_the_lower_id_is_offered_it() -> None:
    # A tie on idle time (both idle since the same instant, or neither ever offered anything:
    # both count from now) goes to the lower id, wherever the two stand on the roster.
    records = {rid: Responder(id=rid, name=rid, channels=["sms"]) for rid in ("b", "a", "c")}
    oncall = OnCall(at=NOW, primary=("b", "c", "a"))
    same = NOW - timedelta(minutes=3)
    for idle in ({}, {"a": same, "b": same, "c": same}, {"b": same, "c": same}):
        chosen = choose(contact(channel="sms"), _snap(oncall, records, {}, idle), COOLDOWN).responder
        assert chosen is not None and chosen.id == ("b" if idle == {"b": same, "c": same} else "a")
