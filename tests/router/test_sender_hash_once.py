"""Intake hashes the sender once: the key it stores the contact under is the first of the keys
it looks up arrivals under, and those are the keyed hashes every release has used."""

from __future__ import annotations

import hashlib
import hmac

from router.keyring import SENDER_HASH, Keyring, _address, derive


def reference_keys(ring: Keyring, channel: str, sender: str) -> list[str]:
    address = _address(channel, sender)
    macs = [derive(k, SENDER_HASH) for k in ring.keys] + [k.encode() for k in ring.keys]
    return list(dict.fromkeys(hmac.new(m, address, hashlib.sha256).hexdigest()[:32] for m in macs))


def test_sender_keys_are_the_keyed_hashes_in_order() -> None:
    ring = Keyring.of("current-key", "older-key,oldest-key")
    for channel, sender in [("sms", "+15550001234"), ("voice", "+15550001234"), ("email", " A@B.org ")]:
        keys = ring.sender_keys(channel, sender)
        assert keys == reference_keys(ring, channel, sender)
        assert keys[0] == ring.sender_key(channel, sender)
        assert len(keys) == 6


def test_voice_and_sms_share_a_key_and_email_does_not() -> None:
    ring = Keyring.of("k")
    assert ring.sender_keys("voice", "+1555") == ring.sender_keys("sms", "+1555 ")
    assert ring.sender_keys("email", "+1555") != ring.sender_keys("sms", "+1555")
