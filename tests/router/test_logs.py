"""Personal data never reaches the log: a phone number, an email and a message body are redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from router import logs
from router.clock import VirtualClock
from router.engine import Engine
from tests.router.helpers import advance, sms, staff

PHONE = "+15558675309"
BODY = "my husband hit me and I am at 12 Elm Street"


async def test_transitions_log_no_personal_data(engine: Engine, clock: VirtualClock) -> None:
    out = io.StringIO()
    logs.configure("debug", stream=out)
    try:
        await staff(engine, ["ana"], ["ben"], ["sue"])
        c = await engine.intake(sms(BODY, sender=PHONE))
        await advance(engine, clock, 30)
        structlog.get_logger("test").info(
            "explicit", sender=PHONE, body=BODY, note=f"call {PHONE}", email="someone@example.org"
        )
        await engine.accept((await engine.offers_for(None, None))[0].id)
        await engine.send_message(
            c.id, "reply with victim@example.org", (await engine.get_contact(c.id)).responder or ""
        )
        await engine.close(c.id, "support_given", f"notes {PHONE}", "ana")
    finally:
        structlog.reset_defaults()
    text = out.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) > 5
    assert all("redacted" not in entry["timestamp"] for entry in lines)
    assert {"contact_received", "offered", "answered", "closed"} <= {entry["event"] for entry in lines}
    answered = next(entry for entry in lines if entry["event"] == "answered")
    assert answered["time_to_answer_s"] > 0
    for needle in (PHONE, "8675309", "Elm Street", "example.org", "husband", "notes"):
        assert needle not in text, needle


def test_times_survive_redaction() -> None:
    event = logs.redact(
        None, "info", {"event": "gap", "start": "2026-03-08T01:15:00-05:00", "day": "2026-03-08"}
    )
    assert event["start"] == "2026-03-08T01:15:00-05:00" and event["day"] == "2026-03-08"


def test_scrub_finds_numbers_and_addresses_in_free_text() -> None:
    assert logs.scrub("call +1 (555) 867-5309 or a@b.org") == "call [redacted] or [redacted]"
    event = logs.redact(None, "info", {"event": "x", "body": "secret", "nested": {"to": "+15551112222"}})
    assert event == {"event": "x", "body": "[redacted]", "nested": {"to": "[redacted]"}}


@pytest.fixture
def stdlib_out() -> Iterator[io.StringIO]:
    out = io.StringIO()
    logs.configure("info", stream=out)
    try:
        yield out
    finally:
        root = logging.getLogger()
        for handler in [
            h for h in root.handlers if h.formatter and "ProcessorFormatter" in type(h.formatter).__name__
        ]:
            root.removeHandler(handler)
        logging.captureWarnings(False)
        structlog.reset_defaults()


def test_stdlib_lines_are_json_and_redacted(stdlib_out: io.StringIO) -> None:
    logging.getLogger("some.library").warning("could not reach %s about %s", PHONE, "x@example.org")
    logging.getLogger("apscheduler.executors.default").info('Running job "sweep" (trigger: interval)')
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    try:
        raise ValueError(f"bad request line GET /feeds/secretABC?to={PHONE}")
    except ValueError:
        logging.getLogger("aiohttp.server").exception("Error handling request from %s", "10.0.0.9")
    lines = [json.loads(line) for line in stdlib_out.getvalue().splitlines()]
    assert [(e["logger"], e["level"]) for e in lines] == [
        ("some.library", "warning"),
        ("apscheduler.scheduler", "warning"),  # per-run chatter (info) is off
        ("aiohttp.server", "error"),
    ]
    assert lines[0]["event"] == "could not reach [redacted] about [redacted]"
    assert lines[2]["event"] == "Error handling request from %s" and lines[2]["error"] == "ValueError"
    text = stdlib_out.getvalue()
    assert "8675309" not in text and "secretABC" not in text and "example.org" not in text


@given(st.text(alphabet=st.sampled_from("0123456789 +-().@ab_c:TZé\n"), max_size=40))
@settings(max_examples=500, deadline=None)
def test_a_string_passed_without_scrubbing_is_one_scrubbing_would_leave_alone(text: str) -> None:
    # The log's fast path (no "@", no phone number) never skips a string scrub would change.
    expected = text if logs._ISO_TIME.match(text) else logs.scrub(text)
    assert logs._clean(text) == expected
