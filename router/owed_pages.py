"""Pages a write promises, kept in that write: a crash between the write and the pages loses none.

An escalation, a breach, an imminent danger or a close that owes a debrief is written first and
paged after (the pages need the on-call set and go out through the notifier, which may queue on
the outbox). Each such write also arms a `pages` timer carrying who to page and why, due
`RECOVER_AFTER` later; the instance that wrote it sends the pages and clears the timer in the
write that records them. Only when that instance dies in between does the timer fire, on any
instance, and the pages go out late rather than never (at least once: a crash after sending and
before clearing pages twice)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from router.timer_models import Timer, TimerKind
from router.trusted_records import trusted

# As long as a claimed timer's default lease: the writer has had every chance to page by then.
RECOVER_AFTER = timedelta(seconds=30)

# Pages about a contact left waiting are moot once someone has answered it; a danger page is not.
ABOUT_WAITING = frozenset({"escalation", "breach"})


def owed_id(source: str) -> str:
    """The owed pages' timer id, from what owes them: the firing timer's id, `danger:<contact>`
    or `debrief:<contact>`."""
    return f"{source}:pages"


def danger(contact_id: str) -> str:
    return f"danger:{contact_id}"


def owed(
    source: str,
    contact_id: str,
    reason: str,
    notify: Sequence[str],
    via: Sequence[str],
    now: datetime,
    partner: str | None = None,
) -> Timer:
    return trusted(
        Timer,
        id=owed_id(source),
        kind=TimerKind.pages,
        due=now + RECOVER_AFTER,
        contact_id=contact_id,
        notify=list(notify),
        via=list(via),
        partner=partner,
        reason=reason,
    )
