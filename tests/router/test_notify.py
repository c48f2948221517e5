"""The log notifier a running `serve` uses for months keeps only its most recent sends."""

from __future__ import annotations

from router.models import Responder
from router.notify import SENT_KEPT, LogNotifier


async def test_log_notifier_keeps_a_bounded_history() -> None:
    notifier = LogNotifier()
    ana = Responder(id="ana", name="Ana")
    for n in range(SENT_KEPT + 500):
        await notifier.notice(ana, f"notice {n}")
    assert len(notifier.sent) == SENT_KEPT
    assert notifier.sent[-1] == ("notice", "ana", "")
