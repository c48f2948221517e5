"""Message-IDs that carry the contact id, so a reply finds its contact with no lookup table."""

from __future__ import annotations

import re
import secrets
from email.utils import parseaddr

FALLBACK_DOMAIN = "safetynet.invalid"
_OURS = re.compile(r"^<(c_[0-9a-f]{4,64})\.[A-Za-z0-9_-]{6,40}@([^<>@\s]+)>$")


def mail_domain(mail_from: str | None) -> str:
    address = parseaddr(mail_from or "")[1]
    domain = address.rpartition("@")[2].strip().lower()
    return domain or FALLBACK_DOMAIN


def new_message_id(contact_id: str, domain: str) -> str:
    return f"<{contact_id}.{secrets.token_urlsafe(9)}@{domain}>"


def contact_of(message_id: str, domain: str) -> str | None:
    """The contact id in one of our own Message-IDs; None for anyone else's."""
    match = _OURS.match(message_id.strip())
    if match is None or match.group(2).lower() != domain:
        return None
    return match.group(1)


def contacts_referenced(ids: list[str], domain: str) -> list[str]:
    """Contact ids named by `ids` (In-Reply-To, then References newest first), in that order."""
    found: list[str] = []
    for mid in ids:
        cid = contact_of(mid, domain)
        if cid and cid not in found:
            found.append(cid)
    return found
