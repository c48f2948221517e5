"""The codec's caches of stored text are bounded by the size of that text, not only by count
(router/store/bounded.py): flooded conversations push older entries out, never pile up."""

from __future__ import annotations

import pytest

from router.models import Message
from router.store import records
from router.store.bounded import Bounded
from router.store.records import ContactCodec
from router.store.sealing import Sealer
from router.trusted_records import evolve
from tests.conftest import START
from tests.contract.test_store_contract import contact


def test_entries_past_either_bound_let_the_oldest_go() -> None:
    cache: Bounded[str] = Bounded(5, 10)
    for key, text in [("a", "1234"), ("b", "1234"), ("c", "12")]:
        cache.put(key, text, len(text))
    assert [k for k in "abc" if k in cache] == ["a", "b", "c"] and cache.held == 10
    cache.put("d", "1", len("1"))  # eleven characters: the oldest goes
    assert "a" not in cache and cache.held == 7
    cache.put("e", "12345", len("12345"))  # twelve characters: the oldest go until ten or fewer are held
    assert [k for k in "bcde" if k in cache] == ["c", "d", "e"] and cache.held == 8
    cache.put("c", "1", len("1"))  # kept again as the newest, its size as it is now
    assert cache.held == 7 and cache["c"] == "1"
    cache.put(
        "huge", "x" * 11, len("x" * 11)
    )  # larger than the whole budget: not kept, nothing let go for it
    assert "huge" not in cache and len(cache) == 3
    for key in "vwxyz":  # six entries of one character: the count's bound
        cache.put(key, "1", len("1"))
    assert len(cache) == 5 and "c" not in cache and "z" in cache and cache.held == 5
    cache.put("d", "1", len("1"))
    cache.pop("d")
    cache.pop("nothing")
    assert cache.held == 4 and cache.get("d") is None


def test_a_codec_keeps_no_more_text_than_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "TEXT_HELD", 60_000)
    codec = ContactCodec(Sealer(["a-key-for-this-test"]))
    said = [Message(at=START, direction="in", body="x" * 1_000) for _ in range(10)]
    for n in range(20):  # ~14 KB a record: four or so fit in 60,000 characters
        c = evolve(contact(f"c{n}"), {"messages": said})
        assert codec.decode(c.id, codec.encode(c)) == c
        codec.wrote(c, c.rev)
    assert codec._decoded.held <= 60_000 and codec.tails._held.held <= 60_000
    assert 2 <= len(codec._decoded) <= 5 and "c19" in codec._decoded and "c0" not in codec._decoded
