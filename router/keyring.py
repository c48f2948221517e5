"""The hotline's secret keys and what is derived from them: one HKDF key per purpose.

`SAFETYNET_SECRET_KEY` is the current key; `SAFETYNET_PREVIOUS_SECRET_KEYS` lists the keys it
replaced. New data is always keyed with the current key; look-ups (a returning person's address
hash, a sealed record, a chat session) try every listed key, so a rotation loses nobody.
"""

from __future__ import annotations

import functools
import hashlib
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


class _Hmac:
    """HMAC-SHA256 (RFC 2104) under one key, its two padded key blocks hashed once: an address
    is then two hash updates of copies. `hmac.digest` looks the digest up in OpenSSL and keys it
    again on every call: ~27 k instructions per address against ~15 k here (every intake hashes
    its address under each listed key)."""

    BLOCK = 64  # SHA-256's block size

    def __init__(self, key: bytes) -> None:
        if len(key) > self.BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(self.BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


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
        found = [mac.digest(address).hex()[:32] for mac in self._sender_macs]
        return list(dict.fromkeys(found))

    @functools.cached_property
    def _sender_macs(self) -> tuple[_Hmac, ...]:
        # Derived and keyed once per keyring, not per address hashed.
        legacy = [k.encode() for k in self.keys] if self.legacy else []
        return tuple(_Hmac(key) for key in [derive(k, SENDER_HASH) for k in self.keys] + legacy)

    def chat_session_keys(self) -> list[bytes]:
        """Signing keys of chat session tokens: the first signs, every one verifies (the last
        ones are the bare-SHA-256 keys of releases before HKDF, so open sessions survive it)."""
        legacy = [hashlib.sha256(("chat-session:" + k).encode()).digest() for k in self.keys]
        return [derive(k, CHAT_SESSION) for k in self.keys] + legacy
