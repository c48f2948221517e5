"""Live state: the Store interface and its Redis and in-memory backends."""

from router.store.base import Store
from router.store.memory import MemoryStore
from router.store.redis import RedisStore
from router.store.shapes import (
    SEQ_TO_ASSIGN,
    Conflict,
    ContactView,
    DispatchState,
    DispatchView,
    IntakeState,
    LoadChange,
    StoreUnavailable,
    StreamInfo,
    Tail,
    TimerBatch,
    Transition,
)

__all__ = [
    "SEQ_TO_ASSIGN",
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
