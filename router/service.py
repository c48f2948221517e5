"""One running SafetyNet instance: store, engine, timer loop and jobs, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from protocols import Protocol
from protocols.loader import read_text
from router import policy
from router.clock import Clock, SystemClock
from router.engine import Engine
from router.fanout import SharedFeed
from router.jobs import Jobs
from router.keyring import Keyring
from router.ledger import Ledger, LedgerError, retention
from router.ledger.bounded import Bounds
from router.ledger.writer import Writer
from router.notify import LogNotifier, Notifier
from router.outbox import Outbox
from router.settings import Settings
from router.skew import check_clock
from router.store import MemoryStore, RedisStore, Store, StoreUnavailable
from router.store.connect import BadRedisUrl, connect
from router.store.sealing import Sealer
from router.timers import TimerRunner

log = structlog.get_logger("router.service")


WRITER_STOP_S = 10.0
PROTOCOL_POLL_S = 2.0


class StartupError(Exception):
    """The service cannot start; the message says what to do (one line)."""


def open_store(settings: Settings) -> Store:
    if settings.redis_url.startswith("memory://"):
        return MemoryStore(settings.hotline)
    try:
        client = connect(settings.redis_url)
    except BadRedisUrl as exc:
        raise StartupError(f"SAFETYNET_REDIS_URL: {exc} (or memory://)") from exc
    # Behind Sentinel every transition waits for one replica, so a failover loses nothing.
    replicas = 1 if settings.redis_url.startswith("redis+sentinel://") else 0
    return RedisStore(client, settings.hotline, Sealer(list(keyring_of(settings).keys)), replicas)


def keyring_of(settings: Settings) -> Keyring:
    return Keyring.of(settings.secret_key, settings.previous_secret_keys)


def require_own_key(settings: Settings) -> None:
    """Records on a shared store are sealed and hashed with the secret key: never the published one."""
    if settings.redis_url.startswith("memory://"):
        return
    if keyring_of(settings).is_development or not settings.secret_key.strip():
        raise StartupError(
            "SAFETYNET_SECRET_KEY is unset (or the published development default): set it to a key "
            "of your own, e.g. from `safetynet keys generate`, before serving on Redis"
        )


@dataclass
class Service:
    settings: Settings
    store: Store
    engine: Engine
    runner: TimerRunner
    ledger: Ledger
    writer: Writer
    bounds: Bounds
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    jobs: Jobs | None = None
    started_at: datetime | None = None
    # Views (chat sockets, console feeds) of this instance, fed from the shared stream, and
    # outgoing mail, durable in the store (router/outbox.py).
    feed: SharedFeed = field(init=False)
    outbox: Outbox = field(init=False)

    def __post_init__(self) -> None:
        self.feed = SharedFeed(self.store, self.engine.metrics)
        self.outbox = Outbox(self.store, self.engine.clock, self.engine.metrics)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        store: Store | None = None,
        protocol: Protocol | None = None,
        ledger: Ledger | None = None,
    ) -> Service:
        file_text = read_text(settings.protocol) if settings.protocol and protocol is None else None
        store = store or open_store(settings)
        if not await store.ping():
            await store.close()
            raise StartupError(
                f"cannot reach Redis at {redact_url(settings.redis_url)}: start redis-server, or set "
                "SAFETYNET_REDIS_URL to a reachable server (memory:// runs without one)"
            )
        try:
            ledger = ledger or await open_ledger(settings)
        except StartupError:
            await store.close()
            raise
        if settings.ledger_writer == "process" and settings.redis_url.startswith("memory://"):
            await store.close()
            raise StartupError(
                "SAFETYNET_LEDGER_WRITER=process needs a store that another process can read: set "
                "SAFETYNET_REDIS_URL to a Redis server, or leave SAFETYNET_LEDGER_WRITER at serve"
            )
        clock = clock or SystemClock()
        if protocol is None:
            protocol = await policy.choose_at_start(store, file_text, settings.protocol, clock.now())
        engine = Engine(
            store,
            clock,
            protocol,
            notifier=notifier or LogNotifier(),
            keyring=keyring_of(settings),
            sender_limit=settings.sender_contacts_per_hour,
        )
        runner = TimerRunner(engine, lease_s=settings.timer_lease_s)
        writer = Writer(store, ledger, clock, engine.metrics, busy=runner.bursting)
        bounds = Bounds.of(settings, store, ledger, clock)
        return cls(
            settings=settings,
            store=store,
            engine=engine,
            runner=runner,
            ledger=ledger,
            writer=writer,
            bounds=bounds,
        )

    async def start(self) -> None:
        """Arm the next shift change, dispatch anything waiting, and run the timer loop."""
        self.started_at = self.engine.clock.now()
        with contextlib.suppress(StoreUnavailable):  # a blip now must not stop the start: /readyz looks again
            await check_clock(self.store, self.engine.clock, self.engine.metrics)
        await self.engine.arm_shift_change()
        await self.engine.dispatch()
        self.tasks.append(asyncio.create_task(self._supervise(self.runner.run), name="timers"))
        self.tasks.append(asyncio.create_task(self._supervise(self.follow_protocol), name="protocol"))
        self.feed.position = await self.feed.start_position()
        self.tasks.append(asyncio.create_task(self._supervise(self.feed.run), name="views"))
        self.tasks.append(asyncio.create_task(self._supervise(self.outbox.run), name="outbox"))
        self.jobs = Jobs(self.engine, retention=self.purge)
        # The writer takes a lock of its own (`ledger`), apart from the jobs' leader: a writer
        # process beside the instances never takes the jobs' turn.
        self.writer.owner = self.jobs.owner
        if self.settings.ledger_writer == "serve":
            self.tasks.append(asyncio.create_task(self._supervise(self.write_ledger), name="ledger"))
        else:
            self.writer.elsewhere = True
        self.jobs.start()

    async def write_ledger(self) -> None:
        await self.writer.run(self.bounds)

    async def purge(self) -> dict[str, int]:
        """The protocol's retention, applied now (the leader's hourly job, router/jobs.py)."""
        done = await retention.purge(
            self.store, self.ledger, self.engine.protocol.retention, self.engine.clock.now()
        )
        if any(done.values()):  # each purge with a count is also kept in the ledger's `purges`
            log.info("retention_purged", **done)
        return done

    async def follow_protocol(self) -> None:
        """Another instance may activate a new protocol: pick it up within a couple of seconds."""
        while True:
            await asyncio.sleep(PROTOCOL_POLL_S)
            active = await self.store.active_protocol()
            if active is not None and active[0] != self.engine.protocol.version:
                self.engine.protocol = await policy.in_force(self.store) or self.engine.protocol
                log.info("protocol_followed", version=self.engine.protocol.version)

    async def _supervise(self, run: object) -> None:
        assert callable(run)
        while True:
            try:
                await run()
                return
            except asyncio.CancelledError:
                raise
            except StoreUnavailable:
                await asyncio.sleep(0.5)
            except Exception:
                log.exception("background_task_failed")
                await asyncio.sleep(0.5)

    async def stop(self) -> None:
        if self.jobs is not None:
            self.jobs.stop()
            if self.jobs.leader:
                # Another instance takes the jobs over on its next look, not after LEADER_TTL_S.
                with contextlib.suppress(StoreUnavailable):
                    await self.store.release_leader(self.jobs.owner)
        self.runner.stop()
        # The ledger writer finishes its batch rather than being cancelled inside a write.
        self.writer.stop()
        writing = [t for t in self.tasks if t.get_name() == "ledger"]
        if writing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(writing[0]), WRITER_STOP_S)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()
        await self.engine.settle()
        await self.store.close()
        await self.ledger.close()


async def open_ledger(settings: Settings) -> Ledger:
    """The ledger at its settings' URL, its schema brought up to date, or one line saying why not."""
    try:
        ledger = Ledger.open(settings.ledger_database())
    except LedgerError as exc:
        raise StartupError(str(exc)) from exc
    try:
        await ledger.upgrade()
    except LedgerError as exc:
        await ledger.close()
        raise StartupError(str(exc)) from exc
    return ledger


def redact_url(url: str) -> str:
    """A Redis URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
