"""Safe reading of one inbound email: headers, a plain-text body, attachment metadata, nothing run."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

MAX_BODY = 19_000  # under ContactIn's 20,000, leaving room for the attachment summary
MAX_TEXT = 20_000  # ContactIn's limit: the summary of many long-named attachments is cut to fit
MAX_ATTACHMENT = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "iframe"})
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_NAME_SAFE = re.compile(r"[^\w.\- ]")


@dataclass(frozen=True)
class Attachment:
    """What the responder may know about an attachment: never its content, never opened."""

    filename: str
    content_type: str
    size: int
    kept: bool


@dataclass
class InboundMail:
    sender: str
    subject: str | None
    text: str
    message_id: str | None
    # The Message-ID header as written, even when it is not a valid one (de-duplication key).
    raw_message_id: str | None = None
    references: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    message: Message | None = None


class _TextOfHtml(HTMLParser):
    """HTML to plain text: tags dropped, scripts and styles dropped with their content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return tidy("".join(parser.parts))


def tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: drop the quoted tail ("On ... wrote:" and "> " lines)."""
    kept: list[str] = []
    for line in text.split("\n"):
        if line.startswith(">"):
            continue
        if re.match(r"^On .{0,200}wrote:\s*$", line) or line.strip() == "-----Original Message-----":
            break
        kept.append(line)
    return tidy("\n".join(kept)) or text


def message_ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def header(msg: Message, name: str) -> str:
    """A header's value as text; never raises. The stdlib's structured parsers (Message-ID,
    addresses) throw on some malformed values: then the raw value, unfolded, is what we keep."""
    try:
        return str(msg.get(name) or "")
    except Exception:
        for key, value in msg.raw_items():
            if key.lower() == name.lower():
                return re.sub(r"\r?\n[ \t]*", " ", str(value)).strip()
        return ""


def _decoded_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: read it as UTF-8 rather than fail
        return payload.decode("utf-8", errors="replace")


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded_text(part)
    return html_to_text(text) if part.get_content_type() == "text/html" else tidy(text)


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found: list[Attachment] = []
    for part in msg.iter_attachments():
        if len(found) >= MAX_ATTACHMENTS:
            break
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        name = _NAME_SAFE.sub("_", part.get_filename() or "unnamed")[:120]
        kind = part.get_content_type()[:100]
        found.append(Attachment(name, kind, size, kept=size <= MAX_ATTACHMENT))
    return found


def summary(attachments: list[Attachment]) -> str:
    lines = []
    for a in attachments:
        state = "" if a.kept else ", over the size limit: not kept"
        lines.append(f"[attachment: {a.filename} ({a.content_type}, {a.size} bytes{state})]")
    return "\n".join(lines)


def parse(raw: bytes) -> InboundMail:
    """Read the message; never raises on malformed mail (the defects just leave fields empty)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)  # the default policy always builds EmailMessage
    _, sender = parseaddr(header(msg, "Reply-To") or header(msg, "From"))
    subject = header(msg, "Subject").strip()[:500] or None
    try:
        text = strip_quoted(_body(msg))
    except Exception:
        text = ""
    try:
        attachments = _attachments(msg)
    except Exception:
        attachments = []
    text = text[:MAX_BODY]
    if attachments:
        text = f"{text}\n\n{summary(attachments)}".strip()[:MAX_TEXT]
    raw_id = header(msg, "Message-ID").strip()[:500] or None
    ids = message_ids(raw_id)
    # Nearest first: the message replied to, then the thread from its newest end.
    refs = message_ids(header(msg, "In-Reply-To"))
    refs += list(reversed(message_ids(header(msg, "References"))))
    return InboundMail(
        sender=sender.strip(),
        subject=subject,
        text=text,
        message_id=ids[0] if ids else None,
        raw_message_id=raw_id,
        references=refs,
        attachments=attachments,
        message=msg,
    )


def recipients(msg: Message) -> list[str]:
    values = [header(msg, name) for name in ("To", "Cc")]
    return [addr for _, addr in getaddresses(values) if addr]
