"""The hotline's secret keys and what is derived from them: one HKDF key per purpose.

`SAFETYNET_SECRET_KEY` is the current key; `SAFETYNET_PREVIOUS_SECRET_KEYS` lists the keys it
replaced. New data is always keyed with the current key; look-ups (a returning person's address
hash, a sealed record, a chat session) try every listed key, so a rotation loses nobody.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# The source's own default: fine for tests and the in-memory demo, refused by `serve` on Redis.
DEVELOPMENT_KEY = "safetynet-development-key"
SALT = b"safetynet-hkdf-v1"
SEALING = "contacts-sealing"  # Fernet, before AES-GCM: opens earlier records only
SEALING_AEAD = "contacts-sealing-aead"
SENDER_HASH = "sender-hash"
CHAT_SESSION = "chat-session"


@functools.lru_cache(maxsize=64)
def derive(secret: str, purpose: str) -> bytes:
    """32 bytes for one purpose (RFC 5869 HKDF-SHA256, `info` naming the purpose); computed once
    per key and purpose, as every intake and chat message needs them."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=f"safetynet/{purpose}/v1".encode())
    return hkdf.derive(secret.encode())


def generate() -> str:
    """A new random secret key (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def split_keys(listed: str) -> list[str]:
    return [k.strip() for k in listed.split(",") if k.strip()]


def _address(channel: str, sender: str) -> bytes:
    kind = "phone" if channel in ("voice", "sms") else channel
    return f"{kind}:{sender.strip().lower()}".encode()


@dataclass(frozen=True)
class Keyring:
    """Current key first, then the previous ones (newest first)."""

    keys: tuple[str, ...] = (DEVELOPMENT_KEY,)
    # Also the hashes keyed by the bare keys of releases before HKDF. False only for a store
    # that never held one (a simulation's, which starts empty): one HMAC per key less on every
    # contact taken in.
    legacy: bool = True

    def __post_init__(self) -> None:
        if not self.keys or not all(self.keys):
            raise ValueError("a keyring needs at least one non-empty secret key")

    @classmethod
    def of(cls, current: str, previous: str = "") -> Keyring:
        listed = [current, *(k for k in split_keys(previous) if k != current)]
        return cls(tuple(dict.fromkeys(listed)))

    @property
    def current(self) -> str:
        return self.keys[0]

    @property
    def is_development(self) -> bool:
        return self.current == DEVELOPMENT_KEY

    def sender_key(self, channel: str, sender: str) -> str:
        """The keyed hash a new contact is stored under (current key, HKDF-derived)."""
        return self.sender_keys(channel, sender)[0]

    def sender_keys(self, channel: str, sender: str) -> list[str]:
        """Every hash this person's address may be stored under: each listed key's HKDF
        derivation, then (records from releases before HKDF) the bare key used as the HMAC key.
        The first is `sender_key`: intake hashes once and uses both from one call."""
        address = _address(channel, sender)
        found = []
        for keyed in self._sender_macs:
            mac = keyed.copy()
            mac.update(address)
            found.append(mac.hexdigest()[:32])
        return list(dict.fromkeys(found))

    @functools.cached_property
    def _sender_macs(self) -> tuple[hmac.HMAC, ...]:
        # Derived and keyed once per keyring, not per address hashed: each address is hashed by
        # a copy. `hmac.digest(key, address, "sha256")` looked SHA-256 up in OpenSSL and keyed
        # it on every call (27.3 k instructions per address; a copy 21.0 k, callgrind).
        legacy = [k.encode() for k in self.keys] if self.legacy else []
        keys = [derive(k, SENDER_HASH) for k in self.keys] + legacy
        return tuple(hmac.new(key, digestmod="sha256") for key in keys)

    def chat_session_keys(self) -> list[bytes]:
        """Signing keys of chat session tokens: the first signs, every one verifies (the last
        ones are the bare-SHA-256 keys of releases before HKDF, so open sessions survive it)."""
        legacy = [hashlib.sha256(("chat-session:" + k).encode()).digest() for k in self.keys]
        return [derive(k, CHAT_SESSION) for k in self.keys] + legacy
