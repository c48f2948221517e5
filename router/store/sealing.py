"""Personal data at rest: contact records' personal parts (and the outbox's payloads) are sealed
before they reach Redis, so a dump, an AOF file or a replica holds no address or message.

Sealed with AES-256-GCM under a key HKDF derives from the secret for this purpose alone, a
random 96-bit nonce per seal: `v2:<urlsafe base64 of nonce, ciphertext and tag>`. Tokens of
earlier releases (Fernet: AES-128-CBC + HMAC-SHA256, under the HKDF key or, before HKDF, a bare
SHA-256 of the secret) still open, and `reseal` turns them into this form. Fernet cost ~4 times
as much per seal (its padding, cipher context and HMAC each a Python call): a seal on every
contact taken in and every message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from router import randomness
from router.keyring import SEALING, SEALING_AEAD, derive

PREFIX = "v2:"  # ':' is not in base64's URL-safe alphabet: never the start of a Fernet token
NONCE = 12


def _fernet(secret: str) -> Fernet:
    # The settings' secret may be any text: HKDF derives the sealing key from it.
    return Fernet(base64.urlsafe_b64encode(derive(secret, SEALING)))


def _legacy_fernet(secret: str) -> Fernet:
    # Releases before HKDF sealed with a bare SHA-256 of the secret: still opened, never used to seal.
    digest = hashlib.sha256(b"safetynet/contacts/v1\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class Sealer:
    """Seals with the first secret; opens with any (so a secret can be rotated)."""

    def __init__(self, secrets: list[str]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed to seal contact records")
        self._aead = [AESGCM(derive(s, SEALING_AEAD)) for s in secrets]
        # Only to open tokens sealed by earlier releases.
        self._fernets = MultiFernet([_fernet(s) for s in secrets] + [_legacy_fernet(s) for s in secrets])

    def seal(self, plain: str) -> str:
        nonce = randomness.token_bytes(NONCE)
        sealed = nonce + self._aead[0].encrypt(nonce, plain.encode(), None)
        return PREFIX + base64.urlsafe_b64encode(sealed).decode()

    def open(self, sealed: str) -> str:
        found = self._open(sealed)
        if found is None:
            raise ValueError(
                "a contact record cannot be opened with SAFETYNET_SECRET_KEY: the key changed? "
                "keep the old one in SAFETYNET_PREVIOUS_SECRET_KEYS while records are resealed"
            )
        return found

    def reseal(self, sealed: str) -> str:
        """The same record sealed under the current key (for `store.reseal` during a rotation)."""
        found = self._open(sealed)
        if found is None:
            raise ValueError("a contact record cannot be opened with any listed secret key")
        return self.seal(found)

    def _open(self, sealed: str) -> str | None:
        """The plain text, or None when no listed key opens it (or it is no token at all)."""
        if not sealed.startswith(PREFIX):
            try:
                return self._fernets.decrypt(sealed.encode()).decode()
            except InvalidToken:
                return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
        except (binascii.Error, ValueError):
            return None
        nonce, body = raw[:NONCE], raw[NONCE:]
        for key in self._aead:
            try:
                return key.decrypt(nonce, body, None).decode()
            except (InvalidTag, ValueError):
                continue
        return None
