"""Who hears which live notice: supervisors everything, a responder only their own contacts."""

from __future__ import annotations

from typing import Any

from router.api.auth import Principal
from router.models import ContactIn
from router.service import Service
from router.settings import Settings
from router.web import ConsoleFeed, Subscriber
from tests.channels.conftest_web import staff

PHONE = "+15550001111"


def take(sub: Subscriber) -> list[dict[str, Any]]:
    notices = []
    while not sub.queue.empty():
        notice = sub.queue.get_nowait()
        assert notice is not None
        notices.append(notice)
    return notices


async def test_notices_follow_the_contacts_a_responder_is_involved_in() -> None:
    service = await Service.create(Settings(redis_url="memory://", admin_token="t"))
    try:
        feed = ConsoleFeed(service.engine.clock)
        service.engine.listeners.append(feed)
        await staff(service)
        ana = feed.subscribe(Principal(role="responder", responder="ana"))
        ben = feed.subscribe(Principal(role="responder", responder="ben"))
        boss = feed.subscribe(Principal(role="manager"))
        contact = await service.engine.intake(
            ContactIn.model_validate({"channel": "sms", "from": PHONE, "body": "help"})
        )
        await service.engine.abandon(contact.id)

        # The person left: the offer on ana's screen is stale, though the event names no responder.
        assert [n["event"] for n in take(ana)] == ["offered", "abandoned"]
        assert take(ben) == []
        seen = take(boss)
        assert [n["event"] for n in seen] == ["received", "offered", "abandoned"]
        assert PHONE not in repr(seen) and "help" not in repr(seen), "notices carry no personal data"
        feed.close()
        assert all(sub.queue.get_nowait() is None for sub in (ana, ben, boss))
    finally:
        await service.stop()
