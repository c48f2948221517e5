"""Twilio repeats a webhook (a timeout, a replay): by MessageSid and CallSid it is stored once."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from router.channels.once import delivery_id
from router.models import ContactIn
from tests.channels.conftest import HOTLINE, PERSON, PRIMARY, RigFactory, TwilioRig
from tests.redis_server import RedisServer
from tests.twilio_fake import Reply


def sms_params(rig: TwilioRig, sender: str, body: str, sid: str | None = None) -> dict[str, str]:
    return {
        "AccountSid": rig.twilio.account_sid,
        "ApiVersion": "2010-04-01",
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "From": sender,
        "To": HOTLINE,
        "Body": body,
        "NumMedia": "0",
    }


async def text(rig: TwilioRig, params: dict[str, str]) -> Reply:
    return await rig.twilio.post("/channels/twilio/sms", params)


@pytest.fixture(params=["memory", "redis"])
async def replay_rig(
    request: pytest.FixtureRequest, make_rig: RigFactory, redis_srv: RedisServer
) -> TwilioRig:
    """The rig on both stores: the marks live in Redis in production."""
    if request.param == "memory":
        rig = await make_rig()
    else:
        client = aioredis.Redis.from_url(redis_srv.url)
        await client.flushdb()
        await client.aclose()
        rig = await make_rig(redis_url=redis_srv.url)
    await rig.staff()
    return rig


async def test_a_repeated_first_text_makes_one_contact_and_answers_empty(replay_rig: TwilioRig) -> None:
    rig = replay_rig
    params = sms_params(rig, PERSON, "I need help")
    first = await text(rig, params)
    assert first.status == 200 and len(first.texts("Message")) == 1  # the auto-reply
    again = await text(rig, params)
    assert again.status == 200 and again.texts("Message") == []  # no second auto-reply
    contact = await rig.only_open()
    assert [m.body for m in contact.messages] == ["I need help"]
    await rig.drain()
    assert len(rig.api.texts_to(PRIMARY)) == 1  # one offer, not two


async def test_a_repeated_later_text_is_appended_once(replay_rig: TwilioRig) -> None:
    rig = replay_rig
    await text(rig, sms_params(rig, PERSON, "I need help"))
    later = sms_params(rig, PERSON, "he is back")
    for _ in range(3):
        assert (await text(rig, later)).status == 200
    contact = await rig.only_open()
    assert [m.body for m in contact.messages] == ["I need help", "he is back"]


async def test_copies_arriving_together_are_stored_once(replay_rig: TwilioRig) -> None:
    rig = replay_rig
    await text(rig, sms_params(rig, PERSON, "first"))
    later = sms_params(rig, PERSON, "second")
    replies = await asyncio.gather(*(text(rig, later) for _ in range(5)))
    assert {r.status for r in replies} == {200}
    contact = await rig.only_open()
    assert [m.body for m in contact.messages] == ["first", "second"]


async def test_a_repeat_after_the_conversation_closed_starts_nothing(rig: TwilioRig) -> None:
    params = sms_params(rig, PERSON, "I need help")
    await text(rig, params)
    contact = await rig.only_open()
    engine = rig.service.engine
    [offer] = await engine.offers_for("r-primary", "pending")
    await engine.accept(offer.id, by="r-primary")
    await engine.send_message(contact.id, "I am here.", "r-primary")
    await engine.close(contact.id, "support_given", None, "r-primary", {})
    assert (await text(rig, params)).texts("Message") == []
    assert await rig.service.store.open_contacts() == []


async def test_a_crash_after_the_claim_does_not_lose_the_text(rig: TwilioRig) -> None:
    """The first attempt claimed the MessageSid and died before storing: the retry stores it."""
    params = sms_params(rig, PERSON, "please answer")
    assert await rig.service.store.mark_once(f"seen:{delivery_id('sms', params['MessageSid'])}", 60)
    reply = await text(rig, params)
    assert len(reply.texts("Message")) == 1
    contact = await rig.only_open()
    assert [m.body for m in contact.messages] == ["please answer"]


async def test_a_crash_after_the_store_does_not_duplicate(rig: TwilioRig) -> None:
    """The first attempt stored the contact and died before marking: the record itself says so."""
    params = sms_params(rig, PERSON, "please answer")
    await rig.service.engine.intake(
        ContactIn(channel="sms", sender=PERSON, body="please answer", ref=params["MessageSid"])
    )
    assert (await text(rig, params)).texts("Message") == []
    contact = await rig.only_open()
    assert [m.body for m in contact.messages] == ["please answer"]


async def test_a_repeated_responder_text_reaches_the_person_once(rig: TwilioRig) -> None:
    await text(rig, sms_params(rig, PERSON, "I need help"))
    await text(rig, sms_params(rig, PRIMARY, "1"))
    reply = sms_params(rig, PRIMARY, "I am here with you.")
    await text(rig, reply)
    await text(rig, reply)
    await rig.drain()
    assert rig.api.texts_to(PERSON) == ["I am here with you."]


async def test_a_repeated_call_webhook_makes_one_contact_even_after_it_ended(rig: TwilioRig) -> None:
    sid, first = await rig.twilio.incoming_call("+15558880009")
    assert first.status == 200
    contact = await rig.only_open()
    assert contact.ref == sid
    await rig.service.engine.abandon(contact.id)
    _, again = await rig.twilio.incoming_call("+15558880009", call_sid=sid)
    assert again.status == 200 and again.all("Enqueue") == []
    assert await rig.service.store.open_contacts() == []


async def test_a_flooding_number_gets_no_new_queue_entries(rig: TwilioRig) -> None:
    engine = rig.service.engine
    # One responder finishes each text before the next: no wrap-up pause between them.
    engine.protocol = engine.protocol.model_copy(update={"wrap_up": timedelta(0)})
    engine.sender_limit = 2
    for n in range(2):
        await text(rig, sms_params(rig, PERSON, f"message {n}"))
        contact = await rig.only_open()
        [offer] = await engine.offers_for("r-primary", "pending")
        await engine.accept(offer.id, by="r-primary")
        await engine.send_message(contact.id, "Here.", "r-primary")
        await engine.close(contact.id, "support_given", None, "r-primary", {})
    reply = await text(rig, sms_params(rig, PERSON, "again"))
    assert reply.status == 200 and reply.texts("Message") == []
    assert await rig.service.store.open_contacts() == []
    await text(rig, sms_params(rig, "+15557770002", "someone else"))
    assert (await rig.only_open()).channel == "sms"  # another person is not held back
