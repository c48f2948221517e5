"""Settings from the environment (prefix SAFETYNET_) or a settings file (KEY=value lines)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError


class Settings(BaseModel):
    redis_url: str = "redis://localhost:6379/0"
    hotline: str = Field(default="default", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    protocol: str | None = None
    admin_token: str | None = None
    # Keys the hash that finds a returning person without storing their address in plaintext.
    secret_key: str = "safetynet-development-key"  # noqa: S105 - a development default; set it in production
    # Earlier secret keys, comma-separated: contact records sealed with them can still be read.
    previous_secret_keys: str = ""
    public_url: str | None = None
    log_level: str = "info"
    # The event loop of `serve`, `ledger write` and `retention`: uvloop when it is installed (less
    # CPU per request), else asyncio's own.
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # How long a claimed timer stays with the instance that claimed it before another may fire it.
    timer_lease_s: float = Field(default=30.0, gt=0, le=600)
    twilio_api_base: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_number: str | None = None
    smtp_port: int | None = None
    smtp_host: str = "127.0.0.1"
    email_inbound_secret: str | None = None
    smtp_relay: str | None = None
    mail_from: str | None = None
    # Flood limits (issue 12): new contacts one address may start in an hour; the origins whose
    # pages may open the chat socket (comma-separated; the public URL's origin is always allowed).
    sender_contacts_per_hour: int = Field(default=10, ge=1, le=100_000)
    chat_origins: str = ""
    # Where `serve` and `demo` keep files (the default ledger); created at start.
    data_dir: str = "./data"
    # The SQL ledger: sqlite+aiosqlite:///path or postgresql+asyncpg://user:pass@host/db.
    ledger_url: str | None = None
    # Events stay in the Redis stream this long once the ledger holds them.
    stream_window_s: float = Field(default=7 * 86400.0, ge=60)
    # Ended contacts stay in Redis this long, then the contact view reads the ledger.
    closed_grace_s: float = Field(default=86400.0, ge=0)
    # /readyz reports the ledger writer stalled when it is behind and silent this long.
    ledger_stall_s: float = Field(default=60.0, gt=0)
    # Who files the ledger: `serve` (every instance runs the writer; whichever holds its lock
    # files) or `process` (`serve` runs none: `safetynet ledger write` processes file it, off the
    # instances' event loops and cores; Redis only).
    ledger_writer: Literal["serve", "process"] = "serve"
    # `serve`'s instances on its port, a process each (router/workers.py); Redis only.
    workers: int = Field(default=1, ge=1, le=64)

    def ledger_database(self) -> str:
        """The ledger URL: the setting, or a SQLite file in the data directory (in memory when
        the store is memory:// too)."""
        if self.ledger_url:
            return self.ledger_url
        if self.redis_url.startswith("memory://"):
            return "sqlite+aiosqlite://"  # an ephemeral store keeps an ephemeral ledger
        return f"sqlite+aiosqlite:///{Path(self.data_dir).resolve() / 'ledger.db'}"

    @classmethod
    def load(cls, env: dict[str, str] | None = None, file: str | Path | None = None) -> Settings:
        """File values first, then the environment on top; unknown SAFETYNET_ keys are errors."""
        env = dict(os.environ if env is None else env)
        values: dict[str, str] = {}
        source = file or env.get("SAFETYNET_SETTINGS")
        if source:
            for n, line in enumerate(Path(source).read_text(encoding="utf-8").splitlines(), 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                key, sep, value = line.partition("=")
                if not sep:
                    raise ValueError(f"{source}:{n}: expected KEY=value")
                values[key.strip().removeprefix("SAFETYNET_").lower()] = value.strip()
        for key, value in env.items():
            if key.startswith("SAFETYNET_") and key != "SAFETYNET_SETTINGS":
                values[key.removeprefix("SAFETYNET_").lower()] = value
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            names = ", ".join("SAFETYNET_" + u.upper() for u in unknown)
            raise ValueError(f"unknown setting(s) {names}")
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"SAFETYNET_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(problems) from exc
