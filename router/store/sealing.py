"""Personal data at rest: contact records are sealed (Fernet: AES-128-CBC + HMAC-SHA256)
before they reach Redis, so a dump, an AOF file or a replica holds no address or message."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from router.keyring import SEALING, derive


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
        self._keys = MultiFernet([_fernet(s) for s in secrets] + [_legacy_fernet(s) for s in secrets])

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

    def reseal(self, sealed: str) -> str:
        """The same record sealed under the current key (for `store.reseal` during a rotation)."""
        try:
            return self._keys.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a contact record cannot be opened with any listed secret key") from exc
