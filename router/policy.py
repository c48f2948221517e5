"""Which operations protocol is in force: activation with history, shared by every instance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources

import structlog

from protocols import Protocol, changes, default_protocol, parse_protocol
from router.models import Activation
from router.store import Store

log = structlog.get_logger("router.policy")


def default_text() -> str:
    return resources.files("protocols").joinpath("default.yaml").read_text(encoding="utf-8")


async def activate(
    store: Store, text: str, by: str, now: datetime, source: str = "<protocol>"
) -> tuple[Protocol, list[str]]:
    """Validate and put in force (ProtocolError names file, line and field when it cannot).
    Returns the protocol and what changed against the one it replaces."""
    protocol = parse_protocol(text, source)
    active = await store.active_protocol()
    before = parse_protocol(active[1], "active") if active else None
    if before is not None and before.version == protocol.version:
        return protocol, []
    await store.activate_protocol(
        text, Activation(version=protocol.version, name=protocol.name, activated_at=now, activated_by=by)
    )
    diff = changes(before, protocol) if before is not None else ["first activation"]
    log.info("protocol_activated", version=protocol.version, name=protocol.name, by=by, changes=len(diff))
    return protocol, diff


async def in_force(store: Store) -> Protocol | None:
    active = await store.active_protocol()
    return _parsed(active) if active else None


def _parsed(active: tuple[str, str]) -> Protocol:
    version, text = active
    return parse_protocol(text, f"active protocol {version}")


@dataclass
class InForce:
    """The protocol in force as a background job needs it (the shipped default before any
    activation): its text read each time, parsed again only when another was activated."""

    store: Store
    _held: tuple[str | None, Protocol] | None = field(default=None, init=False)

    async def __call__(self) -> Protocol:
        active = await self.store.active_protocol()
        version = active[0] if active else None
        if self._held is None or self._held[0] != version:
            self._held = (version, _parsed(active) if active else default_protocol())
        return self._held[1]


async def choose_at_start(
    store: Store, file_text: str | None, file_name: str | None, now: datetime
) -> Protocol:
    """A protocol file named in the settings is put in force (the deployment says so); without
    one, the protocol in force stays; on a new hotline the shipped default is activated."""
    if file_text is not None:
        protocol, _ = await activate(store, file_text, "settings", now, file_name or "<settings>")
        return protocol
    current = await in_force(store)
    if current is not None:
        return current
    protocol, _ = await activate(store, default_text(), "default", now, "protocols/default.yaml")
    return protocol
