"""Twilio down: sends are retried from the outbox, the notification falls back and is logged, and no
contact is lost."""

from __future__ import annotations

import logging

import pytest
from structlog.testing import capture_logs

from router.channels.twilio import ProviderError, TwilioProvider
from router.models import ContactStatus
from router.notify import LogNotifier
from tests.channels.conftest import ACCOUNT, CALLER, HOTLINE, PERSON, PRIMARY, TOKEN, RigFactory


async def test_twilio_down_retries_then_falls_back_and_keeps_the_contact(make_rig: RigFactory) -> None:
    rig = await make_rig(fast=True)
    await rig.staff()
    rig.api.fail(1000, status=500)
    asked = rig.api.requests
    with capture_logs() as logs:
        reply = await rig.twilio.incoming_sms(PERSON, "please help")
        assert reply.status == 200  # the person still gets the auto-reply, in the webhook's answer
        assert reply.texts("Message") == [rig.service.engine.protocol.text("sms", "auto_reply", None)]
        assert rig.api.requests == asked  # the webhook answered without waiting on Twilio
        contact = await rig.only_open()
        assert contact.status == ContactStatus.offered
        # The outbox sends and retries (2 s, then 10 s); a method failing past its 15 s of
        # patience gives way to the next: text, then call, then the console.
        await rig.tick(30, step=1)

    # Each phone method: three outbox attempts, each three provider attempts.
    assert rig.api.refused == 18
    events = [e["event"] for e in logs]
    assert events.count("twilio_retry") == 12 and events.count("twilio_failed") == 6
    assert events.count("outbox_retry") == 4 and events.count("outbox_gave_up") == 2
    fallbacks = [e for e in logs if e["event"] == "notify_fallback"]
    assert [e["method"] for e in fallbacks] == ["sms", "voice"]
    assert all(e["why"] == "deadline:ProviderError" for e in fallbacks)
    metrics = rig.service.engine.metrics
    assert metrics.outbox_failures.labels("sms")._value.get() == 1
    assert metrics.outbox_failures.labels("call")._value.get() == 1
    fallback = rig.service.engine.notifier.fallback  # type: ignore[attr-defined]
    assert isinstance(fallback, LogNotifier)
    assert [s for s in fallback.sent if s[0] == "offer"] == [("offer", "r-primary", contact.id)]
    for entry in logs:  # nothing personal in what was logged
        assert PERSON not in str(entry) and PRIMARY not in str(entry) and "please help" not in str(entry)

    # Twilio comes back: the offer times out and the next offer reaches the phone.
    rig.api.failures.clear()
    await rig.tick(61)
    await rig.tick(60)
    assert rig.api.texts_to(PRIMARY)
    assert (await rig.contact(contact.id)).is_open


async def test_rate_limited_then_recovered_sends_once(make_rig: RigFactory) -> None:
    rig = await make_rig(fast=True)
    await rig.staff()
    rig.api.fail(2, status=429, code=20429)
    await rig.twilio.incoming_sms(PERSON, "hello")
    await rig.drain()
    assert rig.api.refused == 2
    assert rig.api.texts_to(PRIMARY) == ["New text contact, priority normal. Reply 1 to accept, 2 to pass."]


async def test_a_client_error_is_not_retried(make_rig: RigFactory) -> None:
    rig = await make_rig(fast=True)
    await rig.staff()
    rig.api.fail(1, status=400, code=21211)
    await rig.call_in(CALLER)
    await rig.drain()
    # The voice offer was refused once (400, not retried), then the text offer went through.
    assert rig.api.refused == 1
    assert len(rig.api.texts_to(PRIMARY)) == 1
    metrics = rig.service.engine.metrics
    assert metrics.outbox_failures.labels("call")._value.get() == 1
    assert metrics.outbox_retries.labels("call")._value.get() == 0


async def test_an_accepted_send_with_an_unreadable_answer_is_not_repeated(make_rig: RigFactory) -> None:
    rig = await make_rig(fast=True)
    await rig.staff()
    rig.api.garbled = 1
    await rig.twilio.incoming_sms(PERSON, "hello")
    await rig.drain()
    assert len(rig.api.texts_to(PRIMARY)) == 1
    assert rig.api.calls_to(PRIMARY) == []  # no fallback: the text went out


async def test_update_call_redirects_a_live_call(make_rig: RigFactory) -> None:
    rig = await make_rig(fast=True)
    provider = TwilioProvider(ACCOUNT, TOKEN, HOTLINE, api_base=rig.api.base_url, backoff_s=0.0)
    placed = await provider.place_call(PRIMARY, twiml="<Response><Say>hi</Say></Response>")
    assert placed.sid.startswith("CA") and placed.status == "queued"
    ended = await provider.update_call(placed.sid, status="completed")
    assert ended.status == "completed" and rig.api.updates == [{"sid": placed.sid, "Status": "completed"}]
    with pytest.raises(ProviderError) as missing:
        await provider.update_call("CA" + "f" * 32, url="https://example.org/x")
    assert missing.value.status == 404
    await provider.close()


@pytest.fixture(autouse=True)
def _quiet_twilio_logger() -> None:
    # twilio-python's own logger must never print request details at INFO.
    assert logging.getLogger("router.channels.twilio.http").getEffectiveLevel() >= logging.WARNING
