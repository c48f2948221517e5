"""Plain words for protocol settings: durations, targets, channels, languages, lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ar": "Arabic",
    "ko": "Korean",
    "ht": "Haitian Creole",
    "hmn": "Hmong",
    "ru": "Russian",
    "tl": "Tagalog",
}
TARGET_WORDS = {
    "primary": "the primary on-call responder",
    "backup": "the backup on-call responder",
    "supervisor": "the supervisor on call",
    "all_on_call": "everyone on call",
    "partner": "the partner hotline",
}
VIA_WORDS = {"sms": "text message", "voice": "phone call", "email": "email", "console": "the console"}
CHANNEL_WORDS = {"voice": "phone calls", "sms": "text messages", "chat": "web chat", "email": "email"}
USE_WORDS = {
    "same": "the same channel",
    "voice": "a phone call",
    "sms": "text message",
    "chat": "chat",
    "email": "email",
}
# How a manual shows a placeholder the router fills in per contact.
PLACEHOLDER_WORDS = {
    "partner": "[partner name]",
    "phone": "[partner phone]",
    "sms": "[partner text number]",
    "email": "[partner email]",
    "web": "[partner website]",
    "hours": "[partner hours]",
}
REASON_WORDS = {
    "abandoned": "the person left before anyone answered",
    "missed": "the contact was closed without anyone answering it",
    "after_hours": "a contact that came in outside open hours ends without an answer",
}
FIELD_WORDS = {
    "notes": "notes",
    "referral": "the referral (partner and service)",
    "safety_plan": "the safety plan",
    "mandated_report": "the mandated-report checklist",
}


def duration(value: timedelta) -> str:
    """`timedelta(minutes=90)` → `1 hour 30 minutes`."""
    total = int(value.total_seconds())
    if total == 0:
        return "no time"
    parts = []
    if total % 86400 == 0 and total >= 365 * 86400 and (total // 86400) % 365 == 0:
        years = total // (365 * 86400)
        return f"{years} year{'s' if years != 1 else ''}"
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, total = divmod(total, size)
        if n:
            parts.append(f"{n} {name}{'s' if n != 1 else ''}")
    return " ".join(parts)


def joined(items: Iterable[str], last: str = "and") -> str:
    words = [w for w in items if w]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


def quoted(items: Iterable[str]) -> str:
    return joined((f"\u201c{w}\u201d" for w in items), "or")


def language(code: str | None) -> str:
    if not code:
        return "any language"
    base = code.split("-")[0]
    name = LANGUAGE_NAMES.get(base)
    return f"{name} ({code})" if name else code


def targets(values: Iterable[str], partner: str | None = None) -> str:
    words = [TARGET_WORDS.get(v, v) for v in values]
    if partner:
        words = [f"the partner hotline ({partner})" if w == TARGET_WORDS["partner"] else w for w in words]
    return joined(words)


def vias(values: Iterable[str]) -> str:
    return joined((VIA_WORDS.get(v, v) for v in values), "and")


def standard(value: str | None) -> str | None:
    """`29` → `Standard 29`, `23/35` → `Standards 23 and 35`; anything else is shown as written."""
    if not value:
        return None
    if not value[:1].isdigit():
        return value
    numbers = [n.strip() for n in value.replace(",", "/").split("/") if n.strip()]
    return f"Standard {numbers[0]}" if len(numbers) == 1 else f"Standards {joined(numbers)}"


def verb(subjects: list[str], one: str, many: str) -> str:
    return many if len(subjects) > 1 or subjects == ["all_on_call"] else one


def flag(name: str, label: str | None) -> str:
    return label or name.replace("_", " ")
