"""One contact keeps so much of what the person wrote and no more: a flood into one open contact
(a mail loop, a script) is refused there, instead of growing the record every later write of
that contact rewrites; the timeline says so once. The caps are far beyond any conversation; here they are
set small."""

from __future__ import annotations

import pytest

from router import transitions
from router.engine import Engine
from router.models import ContactIn
from router.transitions import AlreadyReceived, ConversationFull


async def test_messages_beyond_the_count_are_refused_and_change_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transitions, "MAX_MESSAGES_IN", 3)
    c = await engine.intake(ContactIn(channel="chat", sender="p-1", body="one"))
    await engine.receive_message(c.id, "two")
    await engine.receive_message(c.id, "three")
    before = await engine.get_contact(c.id)
    with pytest.raises(ConversationFull) as refused:
        await engine.receive_message(c.id, "four")
    assert refused.value.status == 413 and refused.value.code == "conversation_full"
    after = await engine.get_contact(c.id)
    assert [m.body for m in after.messages] == ["one", "two", "three"]  # the message is not kept
    # The responder sees that the person went on writing: once, however many more are refused.
    assert after.timeline[-1].event == "conversation_full" and after.rev == before.rev + 1
    with pytest.raises(ConversationFull):
        await engine.receive_message(c.id, "five")
    assert (await engine.get_contact(c.id)).rev == after.rev
    other = await engine.intake(ContactIn(channel="chat", sender="p-2", body="hello"))
    await engine.receive_message(other.id, "another person is not held back")


async def test_text_beyond_the_length_is_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transitions, "MAX_TEXT_IN", 10)
    c = await engine.intake(ContactIn(channel="sms", sender="+15550001111", body="12345"))
    await engine.receive_message(c.id, "1234")  # 9 characters in all
    with pytest.raises(ConversationFull):
        await engine.receive_message(c.id, "12")
    await engine.receive_message(c.id, "1")  # exactly 10
    assert [m.body for m in (await engine.get_contact(c.id)).messages] == ["12345", "1234", "1"]


async def test_a_repeat_of_a_kept_message_is_a_repeat_even_when_full(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider retrying a message already kept is answered as a repeat (nothing to say on the
    timeline), not as the person writing more."""
    monkeypatch.setattr(transitions, "MAX_MESSAGES_IN", 2)
    c = await engine.intake(ContactIn(channel="sms", sender="+15550001111", body="one"))
    await engine.receive_message(c.id, "two", delivery="sms:SM2")
    before = await engine.get_contact(c.id)
    with pytest.raises(AlreadyReceived):
        await engine.receive_message(c.id, "two", delivery="sms:SM2")
    assert (await engine.get_contact(c.id)).rev == before.rev
