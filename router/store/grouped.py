"""Group commit: script calls made while another pipeline is on the wire go out together, next.

A pipeline's round trip costs ~100 µs of CPU here (redis-py's pipeline, the socket's send and
receive, the loop's wake-up) whatever it carries; a call added to one costs ~10 µs. Under load
an instance has many requests in flight, each with its own pipeline: intake at saturation spent
about a tenth of its CPU on them. Here a caller that finds a pipeline on the wire waits for it,
and everything that gathered meanwhile is sent as one pipeline when it returns. A caller that
finds none sends at once, so a quiet instance waits for nothing.

Each call is still its own script, atomic and guarded on its own: grouping changes only how
calls share a round trip, never what one decides. Each caller gets its own replies (a script's
error or a refused guard is that caller's alone); a failure of the round trip itself (Redis
gone) is every caller's in it. A caller cancelled before its calls were sent sends nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

C = TypeVar("C")  # one call, as the sender takes it

Send = Callable[[Sequence[C]], Awaitable[list[Any]]]


class GroupCommit(Generic[C]):
    """`run(calls)` sends `calls` in one round trip, sharing it with whoever else is waiting.
    `send` sends a list of calls in one round trip and returns one reply per call (a call's own
    error as its reply); it raises only when the round trip itself failed."""

    def __init__(self, send: Send[C]) -> None:
        self._send = send
        # The loop a round trip is on the wire in (None: none is): a store used from another
        # loop (a test's next event loop) never waits for one that loop will not finish.
        self._busy: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[Sequence[C], asyncio.Future[list[Any]]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.trips = 0  # round trips sent
        self.joined = 0  # callers after the first in each shared round trip (trips saved)

    async def run(self, calls: Sequence[C]) -> list[Any]:
        loop = asyncio.get_running_loop()
        if self._busy is loop:
            waiter: asyncio.Future[list[Any]] = loop.create_future()
            self._waiting.append((calls, waiter))
            return await waiter
        self._busy = loop
        self._waiting = []
        try:
            self.trips += 1
            return await self._send(calls)
        finally:
            if self._waiting:
                self._drainer = loop.create_task(self._drain())
            else:
                self._busy = None

    async def _drain(self) -> None:
        """Send what gathered while a round trip was on the wire, and again, until nothing waits."""
        try:
            while self._waiting:
                batch = [(calls, w) for calls, w in self._waiting if not w.done()]
                self._waiting = []
                if not batch:
                    continue
                flat = [call for calls, _ in batch for call in calls]
                self.trips += 1
                self.joined += len(batch) - 1
                try:
                    replies = await self._send(flat)
                except Exception as exc:  # the round trip failed: every caller in it hears so
                    for _, w in batch:
                        if not w.done():
                            w.set_exception(exc)
                    continue
                except BaseException:
                    for _, w in batch:
                        w.cancel()  # this task was cancelled (the loop is closing): so are they
                    raise
                at = 0
                for calls, w in batch:
                    if not w.done():
                        w.set_result(replies[at : at + len(calls)])
                    at += len(calls)
        finally:
            for _, w in self._waiting:
                w.cancel()  # only when this task itself was cancelled (the loop is closing)
            self._waiting = []
            self._busy = None
            self._drainer = None


def raise_first(replies: list[Any]) -> list[Any]:
    """The replies, when none is an error; else the first error, raised."""
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies
