"""Live state: the Store interface and its Redis and in-memory backends."""

from router.store.base import Conflict, Store, StoreUnavailable
from router.store.memory import MemoryStore
from router.store.redis import RedisStore
from router.store.shapes import (
    ContactView,
    DispatchState,
    DispatchView,
    IntakeState,
    LoadChange,
    StreamInfo,
    Tail,
    TimerBatch,
    Transition,
)

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
