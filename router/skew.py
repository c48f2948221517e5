"""Is this instance's clock where the others' are? Every timing the ledger proves compliance
with (time to offer, to answer, the breach) is one instance's clock read against another's:
a contact taken in by an instance whose clock runs ahead looks answered sooner than it was,
and the timers that instance arms fire early. NTP keeps the clocks together; this notices when
it does not, against the one clock every instance shares: the Redis server's."""

from __future__ import annotations

import structlog

from router.clock import Clock, SystemClock
from router.metrics import Metrics
from router.store import RedisStore, Store

log = structlog.get_logger("router.skew")

# Beyond this, the audit's timings and the timers are off by more than anyone would accept
# unremarked (the response standard is counted in seconds).
MAX_SKEW_S = 2.0


async def clock_skew(store: Store, clock: Clock) -> float | None:
    """Seconds this instance's wall clock is ahead of the store server's (negative: behind),
    the middle of the round trip against the server's reading. None where there is nothing to
    compare: a store inside this process, or a clock that is not the wall clock (a virtual one)."""
    if not isinstance(store, RedisStore) or not isinstance(clock, SystemClock):
        return None
    before = clock.now()
    server = await store.server_time()
    after = clock.now()
    return round((before + (after - before) / 2 - server).total_seconds(), 3)


async def check_clock(store: Store, clock: Clock, metrics: Metrics) -> float | None:
    """Measure, keep the gauge, and say so in the log when the clock is off by more than
    MAX_SKEW_S; the skew (None when not measurable)."""
    skew = await clock_skew(store, clock)
    if skew is not None:
        metrics.clock_skew.set(skew)
        if abs(skew) > MAX_SKEW_S:
            log.error("clock_skewed", skew_s=skew, max_s=MAX_SKEW_S)
    return skew
