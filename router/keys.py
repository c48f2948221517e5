"""Every Redis key name. No other module builds a key.

All keys of one hotline share the hash tag `{hotline}`, so in a Redis Cluster a
hotline's transitions stay on one shard and stay atomic. Each name is made once per `Keys`
(a transition names twenty of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

PREFIX = "sn"


@dataclass(frozen=True)
class Keys:
    hotline: str

    def _k(self, name: str) -> str:
        return f"{PREFIX}:{{{self.hotline}}}:{name}"

    @cached_property
    def contacts(self) -> str:
        """HASH contact id -> contact JSON."""
        return self._k("contacts")

    @cached_property
    def revs(self) -> str:
        """HASH contact id -> revision; every transition checks and bumps it."""
        return self._k("contact_revs")

    @cached_property
    def queue(self) -> str:
        """ZSET contacts ready to offer, scored by priority rank then arrival."""
        return self._k("queue")

    @cached_property
    def open(self) -> str:
        """ZSET open contacts by arrival (ms): what a sweeper or report looks at."""
        return self._k("open")

    @cached_property
    def senders(self) -> str:
        """HASH keyed hash of the person's address -> their open contact id (no plaintext)."""
        return self._k("open_by_sender")

    @cached_property
    def arrivals(self) -> str:
        """ZSET (all scores 0, ordered by member) of `sender key|arrival ms|contact id`."""
        return self._k("arrivals")

    @cached_property
    def offers(self) -> str:
        """HASH offer id -> offer JSON."""
        return self._k("offers")

    @cached_property
    def pending(self) -> str:
        """ZSET pending offer ids by expiry (ms)."""
        return self._k("offers_pending")

    @cached_property
    def load(self) -> str:
        """HASH `responder|channel` -> contacts held (offered or assigned)."""
        return self._k("load")

    @cached_property
    def presence(self) -> str:
        """HASH responder id -> available | away | offline."""
        return self._k("presence")

    @cached_property
    def idle(self) -> str:
        """ZSET responder id -> when last routed to (ms): lowest is longest idle."""
        return self._k("idle")

    @cached_property
    def responders(self) -> str:
        """HASH responder id -> responder JSON."""
        return self._k("responders")

    @cached_property
    def timers(self) -> str:
        """ZSET timer id -> due (ms); a claimed timer is pushed forward by its lease."""
        return self._k("timers")

    @cached_property
    def timer_data(self) -> str:
        """HASH timer id -> timer JSON."""
        return self._k("timer_data")

    def contact_offers(self, contact_id: str) -> str:
        """SET of every offer id ever made for one contact, so forgetting it forgets its offers."""
        return self._k(f"contact_offers:{contact_id}")

    @cached_property
    def outbox(self) -> str:
        """ZSET outgoing message id -> when to (re)try it (ms); leased like timers while sending."""
        return self._k("outbox")

    @cached_property
    def outbox_data(self) -> str:
        """HASH outgoing message id -> the message, sealed (it holds addresses and words)."""
        return self._k("outbox_data")

    @cached_property
    def outbox_groups(self) -> str:
        """HASH message id -> "due ms|group" for a message that must leave after its group's earlier ones."""
        return self._k("outbox_groups")

    @cached_property
    def outbox_waiting(self) -> str:
        """ZSET (by member) "group|message id": each group's messages in the order they were put;
        only the first of a group is in `outbox` (due), the next joins it when that one is done."""
        return self._k("outbox_waiting")

    @cached_property
    def events(self) -> str:
        """STREAM of every transition."""
        return self._k("events")

    @cached_property
    def seq(self) -> str:
        """STRING counter giving each contact its arrival number."""
        return self._k("seq")

    @cached_property
    def wake(self) -> str:
        """Pub/sub channel: a timer was armed, wake up and look at the earliest due."""
        return self._k("wake")

    @cached_property
    def drafts(self) -> str:
        """HASH roster name -> draft JSON."""
        return self._k("roster_drafts")

    @cached_property
    def versions(self) -> str:
        """HASH version number -> published roster version JSON."""
        return self._k("roster_versions")

    @cached_property
    def dispatch_version(self) -> str:
        """STRING counter bumped by every write that changes what dispatch reads (responders,
        presence, loads, idle times): an instance reuses its parsed snapshot while it holds."""
        return self._k("dispatch_version")

    @cached_property
    def dispatch_steps(self) -> str:
        """HASH dispatch number -> what the transition that bumped it to that number changed in
        loads and idle times (the newest 256; router/store/seen.py)."""
        return self._k("dispatch_steps")

    @cached_property
    def responders_version(self) -> str:
        """STRING counter bumped when a responder record is written: the parsed records are
        reused while it holds, even as loads and idle times move."""
        return self._k("responders_version")

    @cached_property
    def version_head(self) -> str:
        """STRING the newest published roster version number."""
        return self._k("roster_head")

    @cached_property
    def tokens(self) -> str:
        """HASH sha256(token) -> token record JSON."""
        return self._k("tokens")

    @cached_property
    def protocols(self) -> str:
        """HASH protocol version -> the protocol file's text (content-addressed, never changed)."""
        return self._k("protocols")

    @cached_property
    def protocol_active(self) -> str:
        """STRING the version routing obeys now."""
        return self._k("protocol_active")

    @cached_property
    def protocol_history(self) -> str:
        """LIST of activation records (JSON), oldest first."""
        return self._k("protocol_history")

    @cached_property
    def feeds(self) -> str:
        """HASH sha256(feed secret) -> calendar feed record JSON (revocable subscription URLs)."""
        return self._k("feeds")

    def once(self, name: str) -> str:
        """STRING with a TTL: a job's "already done" marker (a reminder sent, a gap alerted)."""
        return self._k(f"once:{name}")

    @cached_property
    def leader(self) -> str:
        """STRING leader lock for calendar-like jobs, with a TTL."""
        return self._k("leader")

    @cached_property
    def ledger_lock(self) -> str:
        """STRING the ledger writer's lock, with a TTL: apart from the jobs' leader, so a writer
        in a process of its own (`safetynet ledger write`) never takes the jobs' turn."""
        return self._k("ledger_lock")

    def lock(self, name: str) -> str:
        return self.ledger_lock if name == "ledger" else self.leader
