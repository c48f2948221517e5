"""Personal data at rest: contact records are sealed (Fernet: AES-128-CBC + HMAC-SHA256)
before they reach Redis, so a dump, an AOF file or a replica holds no address or message."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def _fernet(secret: str) -> Fernet:
    # The settings' secret may be any text: derive a 32-byte key from it, per purpose.
    digest = hashlib.sha256(b"safetynet/contacts/v1\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class Sealer:
    """Seals with the first secret; opens with any (so a secret can be rotated)."""

    def __init__(self, secrets: list[str]) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed to seal contact records")
        self._keys = MultiFernet([_fernet(s) for s in secrets])

    def seal(self, plain: str) -> str:
        return self._keys.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._keys.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "a contact record cannot be opened with SAFETYNET_SECRET_KEY: the key changed? "
                "keep the old one in SAFETYNET_PREVIOUS_SECRET_KEYS while records are resealed"
            ) from exc
