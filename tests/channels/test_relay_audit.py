"""The SMS relay hands a person's words to a responder's phone: each hand-over is in the access
audit (who received it, which contact), with no number and no words in the entry."""

from __future__ import annotations

from tests.channels.conftest import PERSON, PRIMARY, TwilioRig


async def test_relays_to_a_responder_are_audited(rig: TwilioRig) -> None:
    await rig.twilio.incoming_sms(PERSON, "he took my passport")
    contact = await rig.only_open()
    await rig.twilio.incoming_sms(PRIMARY, "1")  # accepts: the transcript goes to their phone
    await rig.twilio.incoming_sms(PERSON, "are you there")  # relayed as it arrives
    entries = [
        {"contact_id": e.contact_id, **(e.model_extra or {})}
        for _, e in await rig.service.store.read_events()
        if e.event == "audit"
    ]
    relays = [e for e in entries if e["action"] == "sms.relay_to_responder"]
    assert [(e["actor"], e["contact_id"], e["detail"]) for e in relays] == [
        ("r-primary", contact.id, "responder=r-primary kind=accepted"),
        ("r-primary", contact.id, "responder=r-primary kind=relay_in"),
    ]
    await rig.drain()
    assert len([t for t in rig.api.texts_to(PRIMARY) if "passport" in t or "are you there" in t]) == 2
    text = str(entries)
    assert PERSON not in text and PRIMARY not in text and "passport" not in text
