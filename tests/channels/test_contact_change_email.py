"""A responder moves to a new email address: the code arrives at that address through the real
SMTP relay (an aiosmtpd sink), and only the code from that mailbox applies the change."""

from __future__ import annotations

import re

from tests.channels.conftest_web import TOKENS, running

NEW = "ana.new@example.org"


async def test_code_is_mailed_to_the_new_address_and_confirms_it() -> None:
    async with running() as stack:
        before = len(stack.sink.messages)
        asked = await stack.api(
            "POST",
            "/v1/responders/ana/contact-change",
            TOKENS["ana"],
            {"email": NEW, "notify_via": "email"},
        )
        assert asked["field"] == "email"
        mails = await stack.sink.wait_for(before + 1)
        mail = mails[-1]
        assert stack.sink.envelopes[-1][1] == [NEW] and mail["To"] == NEW
        found = re.search(r"\b(\d{6})\b", mail.get_content())
        assert found is not None
        ana = await stack.service.store.get_responder("ana")
        assert ana is not None and ana.email is None  # not before the code comes back
        await stack.api(
            "POST", "/v1/responders/ana/contact-change/confirm", TOKENS["ana"], {"code": found.group(1)}
        )
        ana = await stack.service.store.get_responder("ana")
        assert ana is not None and ana.email == NEW and ana.notify_via == "email"
