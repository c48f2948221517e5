"""Prometheus metrics. Labels are channel, priority and outcome only: never personal data."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, GCCollector, Histogram, generate_latest

BUCKETS = (5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, float("inf"))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.contacts = Counter(
            "safetynet_contacts_total", "Contacts received", ["channel", "priority"], registry=r
        )
        self.time_to_offer = Histogram(
            "safetynet_time_to_offer_seconds",
            "Arrival to first offer",
            ["channel", "priority"],
            buckets=BUCKETS,
            registry=r,
        )
        self.time_to_answer = Histogram(
            "safetynet_time_to_answer_seconds",
            "Arrival to a human answering",
            ["channel", "priority"],
            buckets=BUCKETS,
            registry=r,
        )
        self.offers = Counter("safetynet_offers_total", "Offers by outcome", ["outcome"], registry=r)
        self.breaches = Counter(
            "safetynet_breaches_total",
            "Contacts unanswered at the target",
            ["channel", "priority"],
            registry=r,
        )
        self.escalations = Counter(
            "safetynet_escalations_total",
            "Escalation steps fired",
            ["channel", "priority"],
            registry=r,
        )
        self.abandoned = Counter(
            "safetynet_abandoned_total",
            "Contacts that left unanswered",
            ["channel", "priority"],
            registry=r,
        )
        self.intake_guesses_missed = Counter(
            "safetynet_intake_guesses_missed_total",
            "Intakes written on a guess whose guard failed, then decided again (router/receiving.py)",
            ["reason"],
            registry=r,
        )
        self.timer_guesses_missed = Counter(
            "safetynet_timer_guesses_missed_total",
            "Escalations fired unclaimed on what this instance wrote whose guard failed; the claim "
            "in the same round trip took each one still due (router/timers.py)",
            ["reason"],
            registry=r,
        )
        self.queue_depth = Gauge("safetynet_queue_depth", "Contacts waiting to be offered", registry=r)
        self.open_contacts = Gauge("safetynet_open_contacts", "Contacts not yet closed", registry=r)
        self.timer_lateness = Histogram(
            "safetynet_timer_lateness_seconds",
            "Due time to firing",
            ["kind"],
            buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, float("inf")),
            registry=r,
        )
        self.notify_failures = Counter(
            "safetynet_notify_failures_total",
            "Notifications that could not be delivered",
            ["kind"],
            registry=r,
        )
        self.ledger_lag = Gauge(
            "safetynet_ledger_lag_events", "Events in the stream not yet in the ledger", registry=r
        )

        self.outbox_sent = Counter(
            "safetynet_outbox_sent_total", "Outgoing messages handed over", ["kind"], registry=r
        )
        self.outbox_retries = Counter(
            "safetynet_outbox_retries_total", "Sends that failed and were queued again", ["kind"], registry=r
        )
        self.outbox_failures = Counter(
            "safetynet_outbox_failures_total",
            "Outgoing messages given up after every attempt",
            ["kind"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            "safetynet_outbox_depth", "Outgoing messages waiting to be sent", registry=r
        )
        self.clock_skew = Gauge(
            "safetynet_clock_skew_seconds",
            "This instance's clock ahead of the Redis server's (negative: behind), as last measured",
            registry=r,
        )
        # python_gc_collections_total and the objects collected, by generation: the collector's
        # pauses stall the event loop (router/server.py GC_THRESHOLDS says how often they come).
        GCCollector(registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Unrecorded:
    """Stands for a metric and for each of its labelled children: every update does nothing."""

    def labels(self, *values: str) -> _Unrecorded:
        return self

    def inc(self, amount: float = 1) -> None:
        return None

    def dec(self, amount: float = 1) -> None:
        return None

    def set(self, value: float) -> None:
        return None

    def observe(self, value: float) -> None:
        return None


class UnrecordedMetrics(Metrics):
    """For simulations: nobody scrapes a simulated year, so its millions of updates (a lock and
    a label lookup each in prometheus_client) are skipped. `render` shows empty metrics."""

    def __init__(self) -> None:
        super().__init__()
        unrecorded: Any = _Unrecorded()
        for name, value in list(vars(self).items()):
            if isinstance(value, Counter | Gauge | Histogram):
                setattr(self, name, unrecorded)
