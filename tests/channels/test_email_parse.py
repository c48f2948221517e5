"""Reading inbound mail safely, recognising machine mail, and our own Message-IDs: no server needed."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.channels.email import contact_of, mail_domain, new_message_id
from router.channels.email import parse as parsing
from router.channels.email.loops import automatic_reason
from router.channels.email.parse import html_to_text, parse, strip_quoted


def message(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Person <p@example.org>"
    msg["To"] = "help@hotline.test"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("hello")
    return msg


def test_our_message_ids_carry_the_contact_and_nobody_else_s_do() -> None:
    mid = new_message_id("c_0123456789abcdef", "hotline.test")
    assert contact_of(mid, "hotline.test") == "c_0123456789abcdef"
    assert contact_of(mid, "elsewhere.test") is None
    assert contact_of("<c_0123456789abcdef.abcdefgh@evil.test>", "hotline.test") is None
    assert contact_of("<random@hotline.test>", "hotline.test") is None
    assert mail_domain("Hotline <Help@Hotline.Test>") == "hotline.test"
    assert mail_domain(None) == "safetynet.invalid"


@pytest.mark.parametrize(
    ("headers", "envelope", "reason"),
    [
        ({}, "", "null_sender"),
        ({}, "<>", "null_sender"),
        ({"Auto_Submitted": "auto-generated"}, None, "auto_submitted"),
        ({"Precedence": "junk"}, None, "precedence"),
        ({"Precedence": "list"}, None, "precedence"),
        ({"X_Autoreply": "yes"}, None, "list_or_autoreply_header"),
        ({"List_Unsubscribe": "<mailto:x@example.org>"}, None, "list_or_autoreply_header"),
    ],
)
def test_machine_mail_is_recognised(headers: dict[str, str], envelope: str | None, reason: str) -> None:
    assert automatic_reason(message(**headers), envelope, "p@example.org") == reason


def test_people_are_not_machines() -> None:
    assert automatic_reason(message(Auto_Submitted="no"), "p@example.org", "p@example.org") is None
    assert automatic_reason(message(), None, "MAILER-DAEMON@mx.example.org") == "machine_sender"
    assert automatic_reason(message(), None, "noreply@shop.example") == "machine_sender"


def test_html_becomes_text_without_scripts_styles_or_markup() -> None:
    html = "<style>b{}</style><p>One &amp; two</p><script>steal()</script><div>three<br>four</div>"
    assert html_to_text(html) == "One & two\n\nthree\nfour"


def test_the_quoted_tail_of_a_reply_is_dropped() -> None:
    assert strip_quoted("New words\n\nOn Tue, 6 Jan 2026 at 10:00, Hotline wrote:\n> old") == "New words"
    assert strip_quoted("> only quoted") == "> only quoted", "never drop everything"


def test_malformed_mail_is_read_without_raising() -> None:
    raw = (
        b"From: broken\r\nSubject: =?unknown-8bit?q?x?=\r\n"
        b"Content-Type: text/plain; charset=no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    )
    mail = parse(raw)
    assert mail.sender == "broken"
    assert isinstance(mail.text, str)


def test_attachments_over_the_limit_are_noted_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "MAX_ATTACHMENT", 10)
    msg = message(Subject="photos")
    msg.add_attachment(b"x" * 11, maintype="image", subtype="png", filename="../../etc/passwd.png")
    msg.add_attachment(b"small", maintype="text", subtype="plain", filename="note.txt")
    mail = parse(msg.as_bytes())
    big, small = mail.attachments
    assert (big.kept, small.kept) == (False, True)
    assert "/" not in big.filename
    assert "over the size limit: not kept" in mail.text
    assert "[attachment: note.txt (text/plain, 5 bytes)]" in mail.text


def test_threading_headers_are_read_nearest_first() -> None:
    msg = message(In_Reply_To="<b@x>", References="<root@x> <a@x> <b@x>")
    assert parse(msg.as_bytes()).references == ["<b@x>", "<b@x>", "<a@x>", "<root@x>"]


_HEADER_VALUES = st.sampled_from(["<", "<>", "<a@", "<a@[b>", "<[", "=?x?q?"]) | st.text(
    alphabet=st.sampled_from(list('<>@[]()";:,\\ \t=?ab.\u00e9')), max_size=30
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from(
        ["Message-ID", "From", "Reply-To", "In-Reply-To", "References", "Subject", "Content-Type"]
    ),
    _HEADER_VALUES,
    st.binary(max_size=200),
)
def test_no_header_or_body_makes_parsing_raise(name: str, value: str, body: bytes) -> None:
    headers = {"From": "a@example.org", "Message-ID": "<x@y>", name: value}
    raw = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n" + body
    mail = parse(raw)
    assert mail.message is not None
    assert len(mail.text) <= 20_000
    automatic_reason(mail.message, None, mail.sender)  # reads headers too: never raises either
