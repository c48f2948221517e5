"""Chat sessions: who is connected, which contact each session holds, and what the person sees."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
import statistics
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from protocols import TextKind
from router import feedback
from router.channels.chat.limits import ChatLimits, allowed_origins
from router.errors import RouterError
from router.models import UNANSWERED_STATES, Contact, ContactIn, ContactStatus, Event
from router.replies import reply_for
from router.service import Service
from router.store import StoreUnavailable
from router.transitions import queue_score

log = structlog.get_logger("router.channels.chat")

# Long enough for a phone to switch networks or wake from sleep, short enough that nobody is
# offered a conversation with an empty room for long.
GRACE_S = 90.0
# A session with no conversation going (never wrote, or its contact is over) is forgotten after
# this long without a frame: its sockets are closed and its memory returned.
IDLE_S = 15 * 60.0
MAX_BODY = 4000
SENDER_PREFIX = "chat:"
# Events after which the queue order, and so every waiting person's place in it, may differ.
QUEUE_EVENTS = frozenset({"received", "offered", "accepted", "closed", "abandoned", "offer_expired"})
FALLBACK_GREETING = (
    "You are in the queue. A person will be with you soon. If you are in danger now, call 911."
)


@dataclass
class ChatSession:
    id: str
    language: str | None = None
    contact_id: str | None = None
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    grace: asyncio.Task[None] | None = None
    last_seen: float = 0.0
    # The protocol's feedback question, while it waits for its one optional answer.
    feedback: str | None = None
    thanked: bool = False


class ChatHub:
    """The engine listener for chat contacts and the registry of open chat sockets.

    The conversation itself lives in the contact (the store), so a reconnecting widget gets it
    back from there; this registry only knows which sockets to push to, in this process."""

    def __init__(
        self,
        service: Service,
        grace_s: float = GRACE_S,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        idle_s: float = IDLE_S,
    ) -> None:
        self.service = service
        self.engine = service.engine
        self.grace_s = grace_s
        self.idle_s = idle_s
        self.limits = ChatLimits.create(self.engine.clock.monotonic)
        settings = service.settings
        self.origins = allowed_origins(settings.chat_origins, settings.public_url)
        self.sleep = sleep or self.engine.clock.sleep
        self.sessions: dict[str, ChatSession] = {}
        self.by_contact: dict[str, str] = {}
        self._keys = service.engine.keyring.chat_session_keys()  # the first signs; any verifies
        self._waits: deque[float] = deque(maxlen=25)
        self.closing = False

    # -- session identity ---------------------------------------------------
    def token_for(self, sid: str, key: bytes | None = None) -> str:
        return hmac.new(key or self._keys[0], sid.encode(), hashlib.sha256).hexdigest()

    def valid(self, sid: object, token: object) -> bool:
        if not isinstance(sid, str) or not isinstance(token, str) or not 8 <= len(sid) <= 64:
            return False
        return any(hmac.compare_digest(self.token_for(sid, key), token) for key in self._keys)

    async def open_session(self, sid: str | None, token: str | None, language: str | None) -> ChatSession:
        """Resume a session the widget proves it holds, or start a new one."""
        if sid is not None and self.valid(sid, token):
            session = self.sessions.get(sid)
            if session is None:  # this process restarted or another one served it: ask the store
                session = ChatSession(id=sid, language=language)
                contact = await self.engine.open_contact_for("chat", SENDER_PREFIX + sid)
                if contact is not None:
                    session.contact_id = contact.id
                    self.by_contact[contact.id] = sid
                self.sessions[sid] = session
            if session.grace is not None:
                session.grace.cancel()
                session.grace = None
            if language and session.contact_id is None:  # the person may still change it
                session.language = language
            self.touch(session)
            return session
        session = ChatSession(id=secrets.token_urlsafe(18), language=language)
        self.sessions[session.id] = session
        self.touch(session)
        return session

    def touch(self, session: ChatSession) -> None:
        session.last_seen = self.engine.clock.monotonic()

    # -- idle sessions ---------------------------------------------------------------
    async def evict_idle(self) -> int:
        """Forget sessions idle for idle_s that hold no open conversation; returns how many.

        A person waiting or talking is never evicted, however quiet: only the empty sessions a
        script (or a closed tab) leaves behind, whose sockets are closed with 4408."""
        cutoff = self.engine.clock.monotonic() - self.idle_s
        gone = 0
        for session in list(self.sessions.values()):
            if session.last_seen > cutoff or session.grace is not None:
                continue
            contact = await self._contact(session)
            if contact is not None and contact.is_open:
                continue
            for ws in list(session.sockets):
                with contextlib.suppress(Exception):
                    await ws.close(code=4408, message=b"idle")
            self.sessions.pop(session.id, None)
            if session.contact_id is not None and self.by_contact.get(session.contact_id) == session.id:
                del self.by_contact[session.contact_id]
            gone += 1
        self.limits.prune()
        if gone:
            log.info("chat_sessions_evicted", count=gone)
        return gone

    async def sweep(self) -> None:
        """Evict idle sessions every half idle period, until cancelled."""
        while True:
            await self.sleep(self.idle_s / 2)
            try:
                await self.evict_idle()
            except StoreUnavailable:
                log.warning("chat_sweep_store_unavailable")

    def attach(self, session: ChatSession, ws: web.WebSocketResponse) -> None:
        session.sockets.add(ws)

    def detach(self, session: ChatSession, ws: web.WebSocketResponse) -> None:
        """A socket went away. If it was the last one, wait a grace period before giving up."""
        session.sockets.discard(ws)
        if self.closing or session.sockets or session.contact_id is None or session.grace is not None:
            return
        session.grace = asyncio.create_task(self._grace(session), name=f"chat-grace-{session.id[:6]}")

    async def _grace(self, session: ChatSession) -> None:
        await self.sleep(self.grace_s)
        session.grace = None
        if not session.sockets:
            await self._abandon_if_waiting(session, "disconnected")

    # -- what the person does ----------------------------------------------------
    async def write(self, session: ChatSession, body: str) -> None:
        self.touch(session)
        body = body.strip()[:MAX_BODY]
        if not body:
            return
        contact = await self._contact(session)
        if contact is not None and contact.is_open:
            await self.engine.receive_message(contact.id, body)
            return
        incoming = ContactIn.model_validate(
            {
                "channel": "chat",
                "from": SENDER_PREFIX + session.id,
                "body": body,
                "language": session.language,
                "ref": session.id,
            }
        )
        contact = await self.engine.intake(incoming)
        session.contact_id = contact.id
        # The widget shows the greeting and "a person will answer" at once: Standard 29's record.
        await self.engine.note(contact.id, "acknowledged", via="greeting")
        self.by_contact[contact.id] = session.id
        # intake's own events may have gone out before the session knew its contact.
        await self.push_state(session)

    async def leave(self, session: ChatSession) -> None:
        """The person closed the chat (leave button, quick exit, or the page going away)."""
        if session.grace is not None:
            session.grace.cancel()
            session.grace = None
        await self._abandon_if_waiting(session, "left")
        # The session ends here, before the shared feed brings the abandonment back: show it now.
        await self.push_state(session)
        for ws in list(session.sockets):
            with contextlib.suppress(Exception):
                await ws.send_json({"type": "left"})
        self.sessions.pop(session.id, None)

    async def _abandon_if_waiting(self, session: ChatSession, why: str) -> None:
        contact = await self._contact(session)
        if contact is None or contact.status not in UNANSWERED_STATES:
            return
        try:
            await self.engine.abandon(contact.id)
        except RouterError:  # answered or closed meanwhile: nothing to abandon
            return
        log.info("chat_abandoned", contact_id=contact.id, why=why)

    async def _contact(self, session: ChatSession) -> Contact | None:
        if session.contact_id is None:
            return None
        return await self.service.store.get_contact(session.contact_id)

    # -- what the person sees ------------------------------------------------------
    def greeting(self, language: str | None) -> str:
        protocol = self.engine.protocol
        # Before the person writes: outside open hours they see the after-hours text at once.
        kind: TextKind = "greeting" if protocol.is_open("chat", self.engine.clock.now()) else "after_hours"
        return (
            protocol.text("chat", kind, language)
            or protocol.text("chat", "greeting", language)
            or protocol.text("chat", "auto_reply", language)
            or FALLBACK_GREETING
        )

    async def contact_greeting(self, contact: Contact, language: str | None) -> str:
        """Once there is a contact: danger, after-hours or at-capacity text when one applies."""
        if contact.status not in UNANSWERED_STATES:
            return self.greeting(language)
        chosen = await reply_for(self.engine.protocol, self.service.store, contact, "greeting")
        return chosen or self.greeting(language)

    async def state(self, session: ChatSession) -> dict[str, Any]:
        contact = await self._contact(session)
        status = contact.status.value if contact else "new"
        state: dict[str, Any] = {
            "type": "state",
            "session": session.id,
            "token": self.token_for(session.id),
            "status": status,
            "greeting": (
                await self.contact_greeting(contact, session.language)
                if contact
                else self.greeting(session.language)
            ),
            "languages": list(self.engine.protocol.languages),
            "messages": [
                {"direction": m.direction, "body": m.body, "at": m.at.isoformat()}
                for m in (contact.messages if contact else [])
            ],
        }
        if contact is not None and contact.status in (ContactStatus.queued, ContactStatus.offered):
            state.update(await self._place(contact))
        fb = self.engine.protocol.feedback
        if session.feedback is not None and fb is not None:
            state["feedback"] = {"question": session.feedback, "scale": list(fb.scale)}
        if session.thanked:
            state["feedback_thanks"] = True
        return state

    async def answer_feedback(self, session: ChatSession, body: str) -> None:
        """The one optional answer: counted by day, with nothing that links it to the chat."""
        fb = self.engine.protocol.feedback
        answer = fb.answer(body) if fb is not None else None
        if session.feedback is None or answer is None:
            return
        session.feedback = None
        session.thanked = True
        await feedback.count(self.service.store, self.engine.protocol, answer, self.engine.clock.now())
        await self.push_state(session)

    async def _place(self, contact: Contact) -> dict[str, Any]:
        store = self.service.store
        waiting = [
            c
            for c in await store.get_contacts(await store.open_contacts())
            if c.status in (ContactStatus.queued, ContactStatus.offered)
        ]
        waiting.sort(key=queue_score)
        ahead = next((i for i, c in enumerate(waiting) if c.id == contact.id), 0)
        place: dict[str, Any] = {"position": ahead + 1}
        # An honest estimate only once there is history to go on; otherwise say nothing.
        if len(self._waits) >= 3:
            place["expected_wait_s"] = round(statistics.median(self._waits))
        return place

    async def push_state(self, session: ChatSession) -> None:
        if not session.sockets:
            return
        state = await self.state(session)
        for ws in list(session.sockets):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json(state)

    # -- engine listener ---------------------------------------------------------------
    def wants_event(self, name: str) -> bool:
        """While a person is connected here; and every answer, for the expected wait."""
        return bool(self.sessions) or name == "answered"

    async def on_event(self, contact: Contact, event: Event) -> None:
        if event.event == "answered" and event.model_extra:
            waited = event.model_extra.get("time_to_answer_s")
            if isinstance(waited, int | float):
                self._waits.append(float(waited))
        if contact.channel == "chat":
            sid = self.by_contact.get(contact.id)
            session = self.sessions.get(sid) if sid else None
            if session is not None:
                # The close transition carries `feedback_asked` after `closed`; the session is
                # let go at the first of them, so look at the whole closing step here.
                asked = not contact.is_open and contact.timeline[-1].event == "feedback_asked"
                if asked and session.feedback is None and not session.thanked:
                    session.feedback = feedback.question(self.engine.protocol, contact.language)
                await self.push_state(session)
            if not contact.is_open and sid is not None:
                self.by_contact.pop(contact.id, None)
        if event.event in QUEUE_EVENTS:
            await self._push_places(exclude=contact.id)

    async def _push_places(self, exclude: str) -> None:
        for session in list(self.sessions.values()):
            if session.sockets and session.contact_id and session.contact_id != exclude:
                contact = await self._contact(session)
                if contact and contact.status in (ContactStatus.queued, ContactStatus.offered):
                    await self.push_state(session)

    async def close(self) -> None:
        """Server shutdown: stop grace timers and close sockets so the runner need not wait."""
        self.closing = True
        for session in list(self.sessions.values()):
            if session.grace is not None:
                session.grace.cancel()
            for ws in list(session.sockets):
                with contextlib.suppress(Exception):
                    await ws.close(code=1001, message=b"server shutting down")
