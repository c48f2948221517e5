"""Who may open the public chat socket, and how fast: an Origin allow-list and per-address token buckets."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Per client address. A person opens one chat and writes at the pace of a conversation; a script
# opening hundreds of sessions or pasting a flood is refused long before it fills the queue.
CONNECTS = (20, 20 / 60)  # burst, then one socket every 3 s
NEW_SESSIONS = (10, 1 / 60)  # burst, then one new chat a minute
MESSAGES = (20, 1.0)  # burst, then one message a second


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """The address the limits count against. Behind the reverse proxy the deploy files put in
    front (a loopback or private peer), that is the last X-Forwarded-For hop, the one the proxy
    itself added; a public peer's header is ignored, since the client could have written it."""
    if not peer:
        return "unknown"
    try:
        internal = ipaddress.ip_address(peer).is_private
    except ValueError:
        return peer
    if internal and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last
    return peer


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of a URL, lower-cased; None when it has none."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def allowed_origins(setting: str, public_url: str | None) -> frozenset[str]:
    """SAFETYNET_CHAT_ORIGINS (comma-separated origins, or *) plus the public URL's own origin."""
    found = {o for o in (origin_of(x) for x in setting.split(",") if x.strip() != "*") if o}
    if any(x.strip() == "*" for x in setting.split(",")):
        found.add("*")
    public = origin_of(public_url)
    if public:
        found.add(public)
    return frozenset(found)


def origin_allowed(origin: str | None, allowed: frozenset[str], own: str) -> bool:
    """A page may open the socket when its origin is listed, or is this server's own origin.

    A request without Origin is not from a browser page (browsers always send one on a
    WebSocket); such a client could claim any origin, so the rate limits are what hold it."""
    if origin is None:
        return True
    given = origin_of(origin)
    return "*" in allowed or given == own or given in allowed


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class Buckets:
    """One token bucket per key (a client address): `burst` at once, refilled at `rate` a second."""

    burst: float
    rate: float
    now: Callable[[], float]
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def take(self, key: str) -> bool:
        now = self.now()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def prune(self) -> None:
        """Forget buckets that have refilled: a full bucket is the same as none (memory returned)."""
        now = self.now()
        full = [k for k, b in self.buckets.items() if b.tokens + (now - b.updated) * self.rate >= self.burst]
        for key in full:
            del self.buckets[key]


@dataclass
class ChatLimits:
    connects: Buckets
    sessions: Buckets
    messages: Buckets

    @classmethod
    def create(cls, now: Callable[[], float]) -> ChatLimits:
        return cls(Buckets(*CONNECTS, now), Buckets(*NEW_SESSIONS, now), Buckets(*MESSAGES, now))

    def prune(self) -> None:
        for buckets in (self.connects, self.sessions, self.messages):
            buckets.prune()
