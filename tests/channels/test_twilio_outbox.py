"""Texts and calls through the durable outbox: webhooks never wait on Twilio, a retry outlives the
instance that queued it, a refusal is given up at once and the responder told, two instances
never send one message twice, and one person's texts arrive in the order they were written."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from structlog.testing import capture_logs

from router.channels.twilio import OUTGOING
from router.channels.twilio.sms import short_code
from router.metrics import Metrics
from router.outbox import Outbox
from router.service import open_store
from router.store import Store
from tests.channels.conftest import PERSON, PRIMARY, RigFactory, TwilioRig
from tests.redis_server import RedisServer

OFFER = "New text contact, priority normal. Reply 1 to accept, 2 to pass."


async def on_redis(make_rig: RigFactory, redis_srv: RedisServer) -> TwilioRig:
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    rig = await make_rig(fast=True, redis_url=redis_srv.url, secret_key="outbox-test-secret")
    await rig.staff()
    return rig


async def held(rig: TwilioRig) -> str:
    """A person texts and the primary accepts from their phone; the contact's id."""
    await rig.twilio.incoming_sms(PERSON, "I need to talk to someone")
    contact = await rig.only_open()
    await rig.twilio.incoming_sms(PRIMARY, "1")
    await rig.drain()
    return contact.id


async def delivered(rig: TwilioRig, number: str, count: int) -> list[str]:
    """What reached `number`, once `count` texts have (bounded: a background loop sends them)."""
    async with asyncio.timeout(10):
        while True:
            rig.api.recorded.clear()
            if len(rig.api.texts_to(number)) >= count:
                return rig.api.texts_to(number)
            await rig.api.recorded.wait()


async def test_a_webhook_answers_while_twilio_hangs_and_the_reply_follows(rig: TwilioRig) -> None:
    await held(rig)
    gate = rig.api.hang()
    sending = asyncio.create_task(rig.service.outbox.run())  # as `serve` runs it
    try:
        async with asyncio.timeout(5):  # the old inline send would wait here on the hung API
            reply = await rig.twilio.incoming_sms(PRIMARY, "Are you safe right now?")
        assert reply.status == 200
        async with asyncio.timeout(5):
            await rig.api.holding.wait()  # the send is under way, stuck in Twilio
        assert rig.api.texts_to(PERSON) == []
        gate.set()
        assert await delivered(rig, PERSON, 1) == ["Are you safe right now?"]
    finally:
        sending.cancel()


async def test_a_retry_outlives_the_instance_that_queued_it(
    make_rig: RigFactory, redis_srv: RedisServer
) -> None:
    rig = await on_redis(make_rig, redis_srv)
    rig.api.fail(3, status=503, code=20503)  # every provider attempt of the first try
    await rig.twilio.incoming_sms(PERSON, "hello")
    await rig.drain()
    assert rig.api.refused == 3 and rig.api.texts_to(PRIMARY) == []
    assert rig.service.engine.metrics.outbox_retries.labels("sms")._value.get() == 1
    # This instance dies. Another, on the same Redis with its own client, sends it when due.
    store: Store = open_store(rig.service.settings)
    try:
        second = Outbox(store, rig.clock, Metrics())
        rig.app[OUTGOING].register(second)
        assert await second.send_due() == 0  # the retry is not due yet
        await rig.clock.advance(2)
        assert await second.send_due() == 1
        assert rig.api.texts_to(PRIMARY) == [OFFER]
        assert await store.outbox_size() == 0
    finally:
        await store.close()


async def test_two_instances_never_send_one_message_twice(
    make_rig: RigFactory, redis_srv: RedisServer
) -> None:
    rig = await on_redis(make_rig, redis_srv)
    out = rig.app[OUTGOING]
    responder = await rig.service.store.get_responder("r-primary")
    assert responder is not None
    for i in range(40):
        await out.text_responder(responder, f"notice {i}", "notice")
    store: Store = open_store(rig.service.settings)
    try:
        second = Outbox(store, rig.clock, Metrics())
        out.register(second)
        gate = rig.api.hang()  # both instances claim while the first sends are stuck
        one = asyncio.create_task(rig.service.outbox.send_due())
        two = asyncio.create_task(second.send_due())
        async with asyncio.timeout(5):
            await rig.api.holding.wait()
        gate.set()
        tried = await one + await two
    finally:
        await store.close()
    assert tried == 40
    texts = rig.api.texts_to(PRIMARY)
    assert sorted(texts) == sorted(f"notice {i}" for i in range(40))  # each exactly once
    assert texts == [f"notice {i}" for i in range(40)]  # one recipient: in the order written


async def test_an_opted_out_person_is_given_up_at_once_counted_and_the_responder_told(
    rig: TwilioRig,
) -> None:
    cid = await held(rig)
    rig.api.opted_out.add(PERSON)  # Twilio answers 21610 to every text to them
    with capture_logs() as logs:
        await rig.twilio.incoming_sms(PRIMARY, "Are you still there?")
        await rig.drain()
    assert rig.api.texts_to(PERSON) == []
    metrics = rig.service.engine.metrics
    assert metrics.outbox_failures.labels("sms")._value.get() == 1
    assert metrics.outbox_retries.labels("sms")._value.get() == 0  # a refusal is not retried
    assert (
        rig.api.texts_to(PRIMARY)[-1]
        == f"[{short_code(cid)}] Not delivered: they replied STOP, so texts to them are blocked."
    )
    failed = [e for e in (await rig.contact(cid)).timeline if e.event == "delivery_failed"]
    assert len(failed) == 1 and (failed[0].model_extra or {})["why"] == "opted_out"
    for entry in logs:
        assert PERSON not in str(entry) and "still there" not in str(entry)


async def test_a_console_responder_sees_an_undelivered_reply(make_rig: RigFactory) -> None:
    rig = await make_rig(fast=True)
    await rig.staff(notify_via="console")
    await rig.twilio.incoming_sms(PERSON, "hello")
    contact = await rig.only_open()
    [offer] = await rig.service.engine.offers_for("r-primary", "pending")
    await rig.service.engine.accept(offer.id, by="r-primary")
    rig.api.fail(1, status=400, code=21211)  # Twilio: not a valid phone number
    await rig.service.engine.send_message(contact.id, "We are here for you.", "r-primary")
    await rig.drain()
    fallback = rig.service.engine.notifier.fallback  # type: ignore[attr-defined]
    assert ("notice", "r-primary", "") in fallback.sent
    failed = [e for e in (await rig.contact(contact.id)).timeline if e.event == "delivery_failed"]
    assert [(e.model_extra or {})["why"] for e in failed] == ["invalid_number"]


async def test_one_persons_texts_keep_their_order_across_a_retry(rig: TwilioRig) -> None:
    cid = await held(rig)
    rig.api.fail(3, status=503, code=20503)  # the first text's first try fails
    await rig.twilio.incoming_sms(PRIMARY, "first")
    await rig.twilio.incoming_sms(PRIMARY, "second")
    await rig.drain()
    assert rig.api.texts_to(PERSON) == []  # "second" waits behind "first"
    await rig.tick(2, step=1)
    assert rig.api.texts_to(PERSON) == ["first", "second"]
    assert [m.body for m in (await rig.contact(cid)).messages if m.direction == "out"] == ["first", "second"]


async def test_a_changed_number_is_honoured_for_texts_already_queued(rig: TwilioRig) -> None:
    responder = await rig.service.store.get_responder("r-primary")
    assert responder is not None
    await rig.app[OUTGOING].text_responder(responder, "Roster v2: your shifts", "notice")
    # What waits in the queue names the responder, never their number.
    [(_, payload)] = await rig.service.store.outbox_claim(rig.clock.now(), 0)
    assert '"ref": "r-primary"' in payload and PRIMARY not in payload
    moved = "+15550107777"
    await rig.service.engine.put_responder(responder.model_copy(update={"phone": moved}))
    await rig.drain()
    assert rig.api.texts_to(PRIMARY) == [] and rig.api.texts_to(moved) == ["Roster v2: your shifts"]
    assert await rig.service.store.outbox_size() == 0
