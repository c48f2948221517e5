"""Mail that no person wrote (auto-replies, bounces, lists): never a contact, never answered."""

from __future__ import annotations

from email.message import Message

from router.channels.email.parse import header

# Local parts of addresses that only machines write from (RFC 3834 section 2, common practice).
_MACHINE_SENDERS = ("mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply")
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")


def automatic_reason(msg: Message, envelope_sender: str | None, sender: str) -> str | None:
    """Why this message is automatic, or None when a person wrote it.

    The reason is a fixed word, safe to log; it never contains an address."""
    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return "null_sender"  # bounces (DSNs) are sent with the null reverse-path
    auto = header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return "auto_submitted"
    if header(msg, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    for name in _LIST_HEADERS:
        if name in msg:  # compares names only: no header value is parsed
            return "list_or_autoreply_header"
    if _content_type(msg) == "multipart/report":
        return "delivery_report"
    local = sender.split("@", 1)[0].lower()
    if not sender or local.startswith(_MACHINE_SENDERS):
        return "machine_sender"
    return None


def _content_type(msg: Message) -> str:
    try:
        return msg.get_content_type()
    except Exception:
        return "text/plain"
