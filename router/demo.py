"""`safetynet demo`: the whole system on the embedded store, a 24/7 roster and synthetic traffic."""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
from datetime import timedelta

from protocols import EscalationStep, Protocol, TriageRule, default_protocol
from router import logs
from router import web as console
from router.api.auth import hash_token
from router.channels import chat
from router.models import Contact, ContactIn, Offer, Responder, TokenRecord
from router.notify import LogNotifier, Page
from router.reports import compliance
from router.server import serve
from router.service import Service
from router.settings import Settings
from router.web import reports, schedule
from schedules import Roster, Shift

CHANNELS = ["sms", "chat", "voice", "email"]
PEOPLE = [
    ("ana", "Ana Ruiz", ["en", "es"]),
    ("ben", "Ben Okafor", ["en"]),
    ("chloe", "Chloe Martin", ["en", "fr"]),
    ("dev", "Dev Patel", ["en"]),
    ("sam", "Sam Lee (supervisor)", ["en", "es"]),
]
MESSAGES = [
    "I need to talk to someone",
    "Is anyone there?",
    "He took my passport and I can't leave",
    "I'm scared to go home tonight",
    "Necesito ayuda",
    "I want to know my options",
]


def demo_protocol() -> Protocol:
    """The default protocol with minutes made seconds, so escalations show within the demo."""
    base = default_protocol()
    return base.model_copy(
        update={
            "name": "demo",
            "response_target": timedelta(minutes=3),
            "offer_timeout": timedelta(seconds=20),
            "escalation": [
                EscalationStep(after=timedelta(seconds=45), notify=["backup"], via=["console"]),
                EscalationStep(after=timedelta(seconds=90), notify=["supervisor"], via=["console"]),
                EscalationStep(after=timedelta(seconds=135), notify=["all_on_call"], via=["console"]),
            ],
            "triage": [
                *base.triage,
                TriageRule(
                    name="demo-passport",
                    keywords=["passport"],
                    priority=base.triage[0].priority,
                    flags=["trafficking"],
                ),
            ],
        }
    )


class DemoResponders(LogNotifier):
    """Simulated phones: each offer is accepted after a few seconds, or ignored (so it times out)."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng
        self.service: Service | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def offer(self, responder: Responder, offer: Offer, contact: Contact) -> None:
        await super().offer(responder, offer, contact)
        if self.rng.random() < 0.35:
            return  # this volunteer does not pick up: the offer times out and moves on
        task = asyncio.create_task(self._take(offer, self.rng.uniform(2, 12), self.rng.uniform(20, 60)))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def page(self, page: Page) -> None:
        await super().page(page)

    async def _take(self, offer: Offer, react_s: float, talk_s: float) -> None:
        assert self.service is not None
        engine = self.service.engine
        await asyncio.sleep(react_s)
        try:
            contact = await engine.accept(offer.id)
            await asyncio.sleep(1)
            if contact.channel == "voice":
                await engine.answered(contact.id)
            else:
                await engine.send_message(
                    contact.id, "Hi, I'm here with you. What's going on?", offer.responder
                )
            await asyncio.sleep(talk_s)
            await engine.close(contact.id, "support_given", None, offer.responder)
        except Exception:  # an offer that expired before the simulated volunteer reacted
            return


async def _traffic(service: Service, rng: random.Random, per_minute: float) -> None:
    n = 0
    while True:
        await asyncio.sleep(rng.expovariate(per_minute / 60))
        n += 1
        channel = rng.choice(CHANNELS)
        sender = f"+1555{n:07d}" if channel in ("sms", "voice") else f"visitor{n}@example.org"
        await service.engine.intake(
            ContactIn.model_validate(
                {
                    "channel": channel,
                    "from": sender,
                    "body": rng.choice(MESSAGES),
                    "language": "es" if rng.random() < 0.15 else "en",
                }
            )
        )


async def _summary(service: Service, port: int, token: str) -> None:
    while True:
        await asyncio.sleep(10)
        store = service.store
        contacts = await store.get_contacts(await store.open_contacts())
        breached = sum(c.breached for c in contacts)
        escalated = sum(c.escalation_level > 0 for c in contacts)
        waiting = sum(c.status.value in ("queued", "offered") for c in contacts)
        print(
            f"[demo] open={len(contacts)} waiting={waiting} escalated={escalated} breached={breached} "
            f"queue={await store.queue_depth()}",
            file=sys.stderr,
            flush=True,
        )


async def run_demo(args: argparse.Namespace) -> int:
    logs.configure("error")  # the summary lines say what is happening; the JSON log would drown them
    rng = random.Random(args.seed)
    token = "demo-" + secrets.token_urlsafe(12)
    settings = Settings(redis_url="memory://", admin_token=token)
    notifier = DemoResponders(rng)
    service = await Service.create(settings, notifier=notifier, protocol=demo_protocol())
    notifier.service = service
    engine = service.engine
    now = engine.clock.now()
    for rid, name, languages in PEOPLE:
        await engine.put_responder(Responder(id=rid, name=name, languages=languages))
        await service.store.put_token(
            hash_token(f"{token}-{rid}"), TokenRecord(role="responder", responder=rid, person=name)
        )
    shifts = []
    # The past week and the next, in 12-hour shifts (a primary and a backup always, and a
    # supervisor): the manager's page opens on the last 7 days, which the roster then covers.
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=7)
    for i in range(28):
        s, e = start + timedelta(hours=12 * i), start + timedelta(hours=12 * (i + 1))
        shifts.append(Shift(responder=PEOPLE[i % 2][0], role="primary", start=s, end=e))
        shifts.append(Shift(responder=PEOPLE[2 + i % 2][0], role="backup", start=s, end=e))
        shifts.append(Shift(responder="sam", role="supervisor", start=s, end=e))
    weeks = timedelta(days=14)
    await engine.rosters.put_draft("main", Roster(timezone="UTC", shifts=shifts), start, start + weeks)
    await engine.rosters.publish("main", start, start + weeks, False, "demo")
    stop = asyncio.Event()

    async def ready(port: int) -> None:
        base = f"http://{args.host}:{port}"
        print(
            f"""SafetyNet demo on the embedded store (nothing is kept after it stops).
  API           {base}/v1/openapi.json
  queue         curl -H 'Authorization: Bearer {token}' {base}/v1/queue
  compliance    curl -H 'Authorization: Bearer {token}' {base}/v1/reports/compliance
  on call now   curl -H 'Authorization: Bearer {token}' {base}/v1/oncall
  metrics       {base}/metrics
  console       {base}/console   (paste a token: {token} sees everything; {token}-ana is Ana's)
  chat widget   {base}/channels/chat/demo   (be the person reaching out)
  schedule      {base}/schedule   (the week's roster and its coverage; the admin token works)
  reports       {base}/reports   (the manager's page: standards, charts, CSV; the admin token works)
Protocol: answer within 3 min (demo), offers time out after 20 s, escalation at 45/90/135 s.
Synthetic contacts arrive about {args.rate:g} a minute; simulated volunteers ignore about a third
of offers, so escalations and the odd breach happen. Ctrl-C stops.""",
            file=sys.stderr,
            flush=True,
        )
        tasks = [
            asyncio.create_task(_traffic(service, rng, args.rate)),
            asyncio.create_task(_summary(service, port, token)),
        ]
        if args.duration is not None:
            asyncio.get_running_loop().call_later(args.duration, stop.set)
        service.tasks.extend(tasks)

    await serve(
        service,
        args.host,
        args.port,
        ready,
        stop,
        extensions=[chat.install, console.install, schedule.install, reports.install],
    )
    report = await compliance(
        service.store,
        start,
        engine.clock.now() + timedelta(seconds=1),
        engine.protocol.response_target.total_seconds(),
        engine.clock.now(),
        await service.store.latest_version(),
    )
    tta = report["time_to_answer_s"]
    print(
        f"[demo] stopped: {report['contacts']} contacts, {report['answered']} answered, "
        f"{report['answered_within_target']} within the target ({report['within_target_pct']}%), "
        f"{len(report['breaches'])} breached; time to answer p50={tta['p50']}s p90={tta['p90']}s",
        file=sys.stderr,
    )
    return 0
