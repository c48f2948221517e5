"""Who hears which live notice: supervisors everything, a responder only their own contacts."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from router.api.auth import Principal
from router.models import Contact, ContactIn, Responder
from router.notify import Page, for_console, page_event
from router.service import Service
from router.settings import Settings
from router.web import ConsoleFeed, Subscriber
from tests.channels.conftest_web import staff
from tests.redis_server import RedisServer

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
        feed = ConsoleFeed()
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


async def test_console_pages_reach_the_paged_persons_console_and_managers() -> None:
    service = await Service.create(Settings(redis_url="memory://", admin_token="t"))
    try:
        feed = ConsoleFeed()
        service.feed.views.append(feed)
        await staff(service)
        contact = await service.engine.intake(
            ContactIn.model_validate({"channel": "sms", "from": PHONE, "body": "help"})
        )
        service.feed.position = await service.feed.start_position()
        ana = feed.subscribe(Principal(role="responder", responder="ana"))
        ben = feed.subscribe(Principal(role="responder", responder="ben"))
        boss = feed.subscribe(Principal(role="manager"))
        await service.engine.page(contact, ["backup"], ["sms", "console"], "escalation")
        assert await service.feed.step() == 1

        [page] = take(ben)
        assert page["event"] == "page" and page["reason"] == "escalation"
        assert page["responder"] == "ben" and page["contact_id"] == contact.id
        assert page["via"] == ["sms", "console"] and page["console"] is True
        assert [n["event"] for n in take(boss)] == ["page"]
        assert take(ana) == [], "a page reaches only the paged person"
        assert PHONE not in repr(page) and "help" not in repr(page), "pages carry no personal data"
        # A console opened later still lists it; each sees only what is theirs.
        assert [p["responder"] for p in feed.pages_for(Principal(role="manager"))] == ["ben"]
        assert feed.pages_for(Principal(role="responder", responder="ana")) == []
        # The page is on the hotline's stream: the record of who was paged, why and how.
        [(_, recorded)] = [e for e in await service.store.read_events() if e[1].event == "paged"]
        assert recorded.contact_id == contact.id and (recorded.model_extra or {})["responder"] == "ben"
    finally:
        await service.stop()


async def test_a_page_fired_on_one_instance_reaches_a_console_on_another(redis_srv: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_srv.url)
    await client.flushdb()
    await client.aclose()
    settings = Settings(redis_url=redis_srv.url, admin_token="t", secret_key="shared-secret-for-both")
    one, two = await Service.create(settings), await Service.create(settings)
    try:
        feed = ConsoleFeed()
        two.feed.views.append(feed)
        await staff(one)
        contact = await one.engine.intake(ContactIn.model_validate({"channel": "sms", "from": PHONE}))
        two.feed.position = await two.feed.start_position()
        ben = feed.subscribe(Principal(role="responder", responder="ben"))
        await one.engine.page(contact, ["backup"], ["console"], "escalation")
        assert await two.feed.step() == 1
        [page] = take(ben)
        assert page["contact_id"] == contact.id and page["console"] is True
    finally:
        await one.stop()
        await two.stop()


def test_which_pages_the_console_delivers() -> None:
    contact_fields = {
        "id": "c1",
        "channel": "sms",
        "status": "queued",
        "priority": "normal",
        "seq": 1,
        "received_at": "2026-03-02T15:00:00Z",
        "deadline": "2026-03-02T15:20:00Z",
        "target_s": 1200,
        "protocol_version": "v",
        "sender": "sealed",
    }
    contact = Contact.model_validate(contact_fields)
    by_phone = Responder(id="r", name="R", phone="+15550100001", notify_via="sms")
    by_console = Responder(id="c", name="C", notify_via="console")
    assert for_console(Page(by_phone, contact, "escalation", ("sms", "console")))
    assert not for_console(Page(by_phone, contact, "escalation", ("sms", "voice")))
    # Someone reached only by console would otherwise get nothing but a log line.
    assert for_console(Page(by_console, contact, "breach", ("voice", "sms")))
    event = page_event(Page(by_phone, contact, "breach", ("voice", "sms")), contact.received_at)
    assert (event.model_extra or {})["console"] is False
    assert "+1555" not in event.model_dump_json(), "the recorded page names no phone number"
