"""Live state: the Store interface and its Redis and in-memory backends."""

from router.store.base import (
    Conflict,
    ContactView,
    DispatchState,
    DispatchView,
    IntakeState,
    LoadChange,
    Store,
    StoreUnavailable,
    StreamInfo,
    Tail,
    TimerBatch,
    Transition,
)
from router.store.memory import MemoryStore
from router.store.redis import RedisStore

__all__ = [
    "Conflict",
    "ContactView",
    "DispatchState",
    "DispatchView",
    "IntakeState",
    "LoadChange",
    "MemoryStore",
    "RedisStore",
    "Store",
    "StoreUnavailable",
    "StreamInfo",
    "Tail",
    "TimerBatch",
    "Transition",
]
