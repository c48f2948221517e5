"""Secret keys: `serve` refuses the published default on Redis, keys are HKDF-derived per purpose,
records sealed by the previous release still open, and returning people match after a rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from protocols import default_protocol
from router import cli, intake
from router.channels.chat import ChatHub
from router.clock import VirtualClock
from router.engine import Engine
from router.keyring import DEVELOPMENT_KEY, SENDER_HASH, Keyring, derive
from router.models import Contact
from router.service import Service, StartupError, require_own_key
from router.settings import Settings
from router.store import RedisStore, Store
from router.store.sealing import Sealer
from tests.router.helpers import sms

PHONE = "+15558675309"
OLD = "the-key-we-had-before-the-rotation"
NEW = "the-key-we-rotated-to-just-now-x"


def _previous_release_sealed(secret: str, plain: str) -> str:
    """How the release before HKDF sealed a record: Fernet over a bare SHA-256 of the secret."""
    digest = hashlib.sha256(b"safetynet/contacts/v1\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest)).encrypt(plain.encode()).decode()


def _previous_release_sender_key(secret: str, sender: str) -> str:
    return hmac.new(secret.encode(), f"phone:{sender}".encode(), hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize("key", [None, DEVELOPMENT_KEY, "  "])
def test_serve_on_redis_refuses_without_a_key_of_its_own(
    key: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SAFETYNET_SECRET_KEY", "SAFETYNET_SETTINGS", "SAFETYNET_PREVIOUS_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFETYNET_REDIS_URL", "redis://127.0.0.1:1/0")
    if key is not None:
        monkeypatch.setenv("SAFETYNET_SECRET_KEY", key)
    assert cli.main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "SAFETYNET_SECRET_KEY" in err[0] and "safetynet keys generate" in err[0]


def test_memory_store_needs_no_key() -> None:
    require_own_key(Settings(redis_url="memory://"))  # the demo runs with no key at all
    with pytest.raises(StartupError):
        require_own_key(Settings(redis_url="redis://localhost:6379/0"))
    require_own_key(Settings(redis_url="redis://localhost:6379/0", secret_key=NEW))


def test_keys_are_derived_per_purpose_with_hkdf() -> None:
    purposes = ("contacts-sealing-aead", "contacts-sealing", SENDER_HASH, "chat-session")
    keys = [derive(NEW, p) for p in purposes]
    assert len(set(keys)) == 4 and all(len(k) == 32 for k in keys)
    assert keys[0] != hashlib.sha256(b"safetynet/contacts/v1\x00" + NEW.encode()).digest()
    # A record sealed now is AES-256-GCM under its own key: no Fernet key of an earlier release
    # (HKDF's or the bare SHA-256 one) opens it, and the AEAD key does.
    sealed = Sealer([NEW]).seal("{}")
    assert sealed.startswith("v2:")
    digest = hashlib.sha256(b"safetynet/contacts/v1\x00" + NEW.encode()).digest()
    for fernet in (Fernet(base64.urlsafe_b64encode(digest)), Fernet(base64.urlsafe_b64encode(keys[1]))):
        with pytest.raises(InvalidToken):
            fernet.decrypt(sealed.encode())
    raw = base64.urlsafe_b64decode(sealed[3:])
    assert AESGCM(keys[0]).decrypt(raw[:12], raw[12:], None) == b"{}"
    assert Sealer([NEW]).seal("{}") != sealed  # a fresh nonce every time


def test_a_sealed_record_opens_only_whole_and_under_a_listed_key() -> None:
    sealed = Sealer([OLD]).seal('{"sender": "+15558675309"}')
    assert Sealer([NEW, OLD]).open(sealed) == '{"sender": "+15558675309"}'
    with pytest.raises(ValueError, match="SAFETYNET_PREVIOUS_SECRET_KEYS"):
        Sealer([NEW]).open(sealed)
    raw = bytearray(base64.urlsafe_b64decode(sealed[3:]))
    raw[20] ^= 1  # one bit of the ciphertext changed
    for broken in (
        "v2:" + base64.urlsafe_b64encode(bytes(raw)).decode(),
        sealed[:-8],
        "v2:not base64!",
        "v2:",
    ):
        with pytest.raises(ValueError, match="cannot be opened"):
            Sealer([OLD]).open(broken)
    resealed = Sealer([NEW, OLD]).reseal(sealed)
    assert resealed.startswith("v2:") and Sealer([NEW]).open(resealed) == '{"sender": "+15558675309"}'


def test_a_record_sealed_with_fernet_by_the_release_before_opens_and_reseals() -> None:
    fernet = Fernet(base64.urlsafe_b64encode(derive(OLD, "contacts-sealing")))
    earlier = fernet.encrypt(b'{"id": "c1"}').decode()
    assert Sealer([NEW, OLD]).open(earlier) == '{"id": "c1"}'
    resealed = Sealer([NEW, OLD]).reseal(earlier)
    assert resealed.startswith("v2:") and Sealer([NEW]).open(resealed) == '{"id": "c1"}'


def test_a_record_sealed_by_the_previous_release_opens_and_reseals() -> None:
    old_record = _previous_release_sealed(OLD, '{"id": "c1"}')
    assert Sealer([OLD]).open(old_record) == '{"id": "c1"}'
    rotated = Sealer([NEW, OLD])
    assert rotated.open(old_record) == '{"id": "c1"}'
    resealed = rotated.reseal(old_record)
    assert Sealer([NEW]).open(resealed) == '{"id": "c1"}'  # the old key is no longer needed
    with pytest.raises(ValueError, match="SAFETYNET_PREVIOUS_SECRET_KEYS"):
        Sealer([NEW]).open(old_record)


async def test_previous_release_contact_opens_in_redis(redis_client: aioredis.Redis) -> None:
    store = RedisStore(redis_client, "t", Sealer([OLD]))
    written = await _intake(store, Keyring.of(OLD))
    raw = await redis_client.hget(store.k.contacts, written.id)
    assert raw is not None
    # Replace the record with what the previous release would have written, then read it.
    await redis_client.hset(
        store.k.contacts, written.id, _previous_release_sealed(OLD, written.model_dump_json())
    )
    again = RedisStore(redis_client, "t", Sealer([NEW, OLD]))
    found = await again.get_contact(written.id)
    assert found is not None and found.sender == PHONE


async def _intake(store: Store, keys: Keyring) -> Contact:
    engine = Engine(store, VirtualClock(), default_protocol(), keyring=keys)
    return await engine.intake(sms("first message", sender=PHONE))


async def test_returning_person_matches_after_a_key_rotation(store: Store, clock: VirtualClock) -> None:
    before = Engine(store, clock, default_protocol(), keyring=Keyring.of(OLD))
    first = await before.intake(sms("first", sender=PHONE))
    after = Engine(store, clock, default_protocol(), keyring=Keyring.of(NEW, OLD))
    found = await after.open_contact_for("sms", PHONE)
    assert found is not None and found.id == first.id
    # A rotation that forgot the old key cannot find them: the previous list is what matches.
    assert (
        await Engine(store, clock, default_protocol(), keyring=Keyring.of(NEW)).open_contact_for("sms", PHONE)
        is None
    )
    # Their earlier arrival still counts for repeat-contact triage under the new key.
    await clock.advance(60)
    second = await after.intake(sms("again", sender=PHONE))
    assert second.sender_key == Keyring.of(NEW).sender_key("sms", PHONE) != first.sender_key
    events = [e for _, e in await store.read_events() if e.contact_id == second.id and e.event == "received"]
    assert events and (events[0].model_extra or {}).get("repeat_of") == 1


async def test_contacts_hashed_by_the_previous_release_still_match(store: Store, clock: VirtualClock) -> None:
    """An open contact written by the release before HKDF (its sender hash keyed by the bare
    secret) is found again by the person's next message, before and after a rotation."""
    legacy = _previous_release_sender_key(OLD, PHONE)
    built = intake.build(
        sms("hello", sender=PHONE), default_protocol(), clock.now(), "c_old", 1, None, legacy, []
    )
    await store.apply(built.transition)
    for keys in (Keyring.of(OLD), Keyring.of(NEW, OLD)):
        found = await Engine(store, clock, default_protocol(), keyring=keys).open_contact_for("sms", PHONE)
        assert found is not None and found.id == "c_old"
    fresh = await Engine(store, clock, default_protocol(), keyring=Keyring.of(NEW, OLD)).intake(sms("x"))
    assert fresh.sender_key != _previous_release_sender_key(NEW, "+15550001234")  # new ones use HKDF


@pytest.mark.parametrize("secret", ["k", "x" * 63, "y" * 64, "z" * 65, "é" * 40, OLD])
def test_sender_hashes_are_hmac_sha256_of_the_address(secret: str) -> None:
    # Keyed once per keyring and copied per address: the same HMAC for every key length, short,
    # one block, and longer than a block (hashed first), under each purpose's key, and a keyring
    # used again gives the same hashes (a copy, never the keyed original, takes the address).
    ring = Keyring.of(secret)
    for channel, sender, address in (
        ("sms", " +15558675309 ", "phone:+15558675309"),
        ("email", "Someone@Example.ORG", "email:someone@example.org"),
        ("chat", "", "chat:"),
    ):
        expected = [
            hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]
            for key in (derive(secret, SENDER_HASH), secret.encode())
        ]
        assert ring.sender_keys(channel, sender) == expected
        assert ring.sender_keys(channel, sender) == expected


def test_a_keyring_without_legacy_hashes_looks_up_only_the_hkdf_ones() -> None:
    # A simulation's keyring (its store starts empty): the same key for a new contact, and
    # only the HKDF-keyed hashes to look up, one per listed key.
    full, lean = Keyring.of(NEW, OLD), Keyring((NEW, OLD), legacy=False)
    assert lean.sender_key("sms", PHONE) == full.sender_key("sms", PHONE)
    assert lean.sender_keys("sms", PHONE) == full.sender_keys("sms", PHONE)[:2]
    assert _previous_release_sender_key(OLD, PHONE) in full.sender_keys("sms", PHONE)
    assert _previous_release_sender_key(OLD, PHONE) not in lean.sender_keys("sms", PHONE)


def test_keys_generate_and_rotate_rewrite_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SAFETYNET_SECRET_KEY", "SAFETYNET_SETTINGS", "SAFETYNET_PREVIOUS_SECRET_KEYS"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["keys", "generate"]) == 0
    made = capsys.readouterr().out.strip()
    assert len(made) >= 43 and made != DEVELOPMENT_KEY
    file = tmp_path / "safetynet.env"
    file.write_text(f"# ours\nSAFETYNET_REDIS_URL=redis://r:6379/0\nSAFETYNET_SECRET_KEY={OLD}\n")
    assert cli.main(["--settings", str(file), "keys", "rotate", "--write"]) == 0
    assert "NOT re-sealed" in capsys.readouterr().err
    loaded = Settings.load(env={}, file=file)
    assert loaded.redis_url == "redis://r:6379/0" and loaded.previous_secret_keys == OLD
    assert loaded.secret_key not in (OLD, made) and len(loaded.secret_key) >= 43
    assert file.read_text().startswith("# ours\n") and (file.stat().st_mode & 0o777) == 0o600
    # Rotating again keeps every earlier key listed, newest first.
    assert cli.main(["--settings", str(file), "keys", "rotate", "--write"]) == 0
    again = Settings.load(env={}, file=file)
    assert again.previous_secret_keys == f"{loaded.secret_key},{OLD}"


def test_keys_rotate_without_write_prints_the_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SAFETYNET_SETTINGS", raising=False)
    monkeypatch.setenv("SAFETYNET_SECRET_KEY", NEW)
    monkeypatch.setenv("SAFETYNET_PREVIOUS_SECRET_KEYS", OLD)
    assert cli.main(["keys", "rotate"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["SAFETYNET_PREVIOUS_SECRET_KEYS"] == f"{NEW},{OLD}"
    assert lines["SAFETYNET_SECRET_KEY"] not in (NEW, OLD)


async def test_chat_sessions_survive_a_rotation() -> None:
    before = ChatHub(await Service.create(Settings(redis_url="memory://", secret_key=OLD)))
    token = before.token_for("session-1234")
    rotated = ChatHub(
        await Service.create(Settings(redis_url="memory://", secret_key=NEW, previous_secret_keys=OLD))
    )
    assert rotated.valid("session-1234", token)
    assert rotated.token_for("session-1234") != token  # new sessions are signed with the new key
    forgot = ChatHub(await Service.create(Settings(redis_url="memory://", secret_key=NEW)))
    assert not forgot.valid("session-1234", token)
    # A session signed by the release before HKDF (bare SHA-256 of the key) still resumes.
    legacy_key = hashlib.sha256(("chat-session:" + OLD).encode()).digest()
    legacy = hmac.new(legacy_key, b"session-1234", hashlib.sha256).hexdigest()
    assert rotated.valid("session-1234", legacy)
