"""Webhook signatures: unsigned, tampered or wrongly signed requests get 403 and change nothing."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from router.channels.twilio import webhook_urls
from tests.channels.conftest import CALLER, HOTLINE, PERSON, PUBLIC, RigFactory, TwilioRig


async def nothing_changed(rig: TwilioRig) -> None:
    assert await rig.service.store.open_contacts() == []
    assert await rig.service.store.read_events() == []
    assert rig.api.messages == [] and rig.api.calls == []


@pytest.mark.parametrize(
    "path", ["/channels/twilio/sms", "/channels/twilio/voice", "/channels/twilio/status"]
)
async def test_unsigned_requests_are_refused(rig: TwilioRig, path: str) -> None:
    params = rig.twilio.call_params("CA" + "2" * 32, PERSON, HOTLINE, "completed", "inbound", Body="hi")
    reply = await rig.twilio.post(path, params, sign=False)
    assert reply.status == 403
    assert '"bad_signature"' in reply.text and PERSON not in reply.text
    await nothing_changed(rig)


async def test_tampered_and_wrongly_signed_requests_are_refused(rig: TwilioRig) -> None:
    reply = await rig.twilio.incoming_sms(PERSON, "hello", tamper={"Body": "something else"})
    assert reply.status == 403
    reply = await rig.twilio.incoming_sms(PERSON, "hello", tamper={"From": "+15550009999"})
    assert reply.status == 403
    forged = RequestValidator("not-the-token").compute_signature(
        PUBLIC + "/channels/twilio/sms", {"From": PERSON, "To": HOTLINE, "Body": "hi"}
    )
    reply = await rig.twilio.post(
        "/channels/twilio/sms", {"From": PERSON, "To": HOTLINE, "Body": "hi"}, signature=forged
    )
    assert reply.status == 403
    # Signed for one host, replayed at the service's own address: the public URL is what counts.
    local = RequestValidator("twilio-test-auth-token").compute_signature(
        rig.twilio.local_base + "/channels/twilio/sms", {"From": PERSON, "To": HOTLINE, "Body": "hi"}
    )
    reply = await rig.twilio.post(
        "/channels/twilio/sms", {"From": PERSON, "To": HOTLINE, "Body": "hi"}, signature=local
    )
    assert reply.status == 403
    await nothing_changed(rig)


async def test_callback_state_in_the_url_cannot_be_swapped(rig: TwilioRig) -> None:
    call_sid, reply = await rig.call_in(CALLER)
    contact = await rig.only_open()
    left = reply.attr("Enqueue", "action")
    params = rig.twilio.call_params(call_sid, CALLER, HOTLINE, "completed", "inbound", QueueResult="hangup")
    signature = RequestValidator("twilio-test-auth-token").compute_signature(left, params)
    swapped = left.replace(contact.id, "c_0000000000000000")
    refused = await rig.twilio.post(swapped, params, signature=signature)
    assert refused.status == 403
    assert (await rig.contact(contact.id)).is_open


async def test_without_token_or_public_url_every_webhook_is_refused(make_rig: RigFactory) -> None:
    for missing in ({"twilio_auth_token": None}, {"public_url": None}):
        rig = await make_rig(**missing)
        reply = await rig.twilio.incoming_sms(PERSON, "hello")
        assert reply.status == 503
        assert "SAFETYNET_TWILIO_AUTH_TOKEN" in reply.text
        await nothing_changed(rig)


def test_webhook_urls_for_the_console() -> None:
    urls = webhook_urls(PUBLIC + "/")
    assert urls == {
        "voice_url": PUBLIC + "/channels/twilio/voice",
        "voice_status_callback": PUBLIC + "/channels/twilio/status",
        "messaging_url": PUBLIC + "/channels/twilio/sms",
    }
