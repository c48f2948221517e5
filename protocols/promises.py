"""Protocol settings added for issue 11: holidays (dated exceptions to open hours) and the
language fallback (when nobody on call speaks the person's language)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import Field, field_validator

from protocols.base import Cited, Duration, Strict
from protocols.hours import TimeWindow

# Times the dispatcher offers one responder the same contact at one ladder step (an offer
# they let lapse or declined): past that it stops coming back to them until the ladder moves.
PASSES_PER_STEP = 2


class Holiday(Strict):
    """On `date` (hotline-local) every channel with open hours keeps `open_hours` instead of its
    weekly windows; none given means closed all that day. Channels open 24/7 stay open."""

    date: date
    name: str | None = Field(default=None, max_length=100)
    open_hours: list[TimeWindow] = Field(default_factory=list)

    def is_open(self, local: datetime) -> bool:
        # The holiday's own windows apply on its date whatever weekday they name.
        minute = local.hour * 60 + local.minute
        for w in self.open_hours:
            if w.start < w.end and w.start <= minute < w.end:
                return True
            if w.start >= w.end and (minute >= w.start or minute < w.end):
                return True
        return False


class LanguageFallback(Cited):
    """When nobody on call speaks the person's language, widen the offer to anyone after
    `after`, with `interpreter` (how to reach an interpreter line) shown on the offer."""

    after: Duration = timedelta(minutes=2)
    interpreter: str | None = Field(default=None, max_length=300)

    @field_validator("after")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("cannot be negative: write it like 0s, 90s or 2m")
        return value


def holiday_on(holidays: list[Holiday], local: datetime) -> Holiday | None:
    return next((h for h in holidays if h.date == local.date()), None)
