"""Counting what a change costs on Redis: round trips on the wire, reads through the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from router.clock import VirtualClock
from router.engine import Engine
from router.store import RedisStore
from router.store.wire import SENDERS
from tests.contract.test_store_batches import _counting

# 15:00 UTC is 10:00 at the hotline (America/New_York): daytime, no overnight rule applies.
DAYTIME = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def skip_unless_redis(engine: Engine) -> None:
    if not isinstance(engine.store, RedisStore):
        pytest.skip("the embedded store reads and writes in no round trip at all")


# Fixtures for the modules that import them by name: the daytime clock, Redis only.
@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(DAYTIME)


@pytest.fixture(autouse=True)
def redis_only(engine: Engine) -> None:
    skip_unless_redis(engine)


@contextmanager
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    sent = [0]
    with monkeypatch.context() as m:
        for cls in SENDERS:  # every round trip passes through one of these
            m.setattr(cls, "send_packed_command", _counting(cls.__dict__["send_packed_command"], sent))
        yield sent


def counting_reads(monkeypatch: pytest.MonkeyPatch, store: Any) -> list[str]:
    """The names of the store's contact reads made from now on, in order."""
    reads: list[str] = []
    for name in ("get_contact", "contact_view"):
        real = getattr(store, name)

        async def counted(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            reads.append(_name)
            return await _real(*args, **kw)

        monkeypatch.setattr(store, name, counted)
    return reads


def elsewhere(engine: Engine) -> Engine:
    """Another instance on the same Redis."""
    assert isinstance(engine.store, RedisStore)
    return Engine(RedisStore(engine.store.redis, engine.store.hotline), engine.clock, engine.protocol)
