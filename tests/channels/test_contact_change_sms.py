"""A responder moves to a new phone: the code is texted to the new number through the real
Twilio client (against the local fake API), never to the old one; the old one hears of the change."""

from __future__ import annotations

import re
from typing import Any

from router import tokens
from tests.channels.conftest import PRIMARY, TwilioRig

NEW = "+15550109999"


async def _call(rig: TwilioRig, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with rig.twilio.session.post(
        rig.twilio.local_base + path, json=body, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        return resp.status, await resp.json()


async def test_code_is_texted_to_the_new_number(rig: TwilioRig) -> None:
    token, _ = await tokens.issue(
        rig.service.store,
        role="responder",
        person="Pat Primary",
        responder="r-primary",
        now=rig.clock.now(),
        by="test",
    )
    status, _ = await _call(rig, "/v1/responders/r-primary/contact-change", token, {"phone": NEW})
    assert status == 202
    await rig.drain()
    assert rig.api.texts_to(PRIMARY) == []  # nothing to the old number yet
    sent = rig.api.texts_to(NEW)
    found = re.search(r"\b(\d{6})\b", sent[0]) if len(sent) == 1 else None
    assert found is not None
    status, body = await _call(
        rig, "/v1/responders/r-primary/contact-change/confirm", token, {"code": found.group(1)}
    )
    assert status == 200 and body["changed"] == "phone"
    responder = await rig.service.store.get_responder("r-primary")
    assert responder is not None and responder.phone == NEW
    await rig.drain()
    told = rig.api.texts_to(PRIMARY)
    assert len(told) == 1 and "was changed" in told[0] and NEW not in told[0]
