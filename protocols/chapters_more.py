"""Manual chapters for hours and holidays, language, and what staff can do during a contact;
and the whole manual's chapter list in order."""

from __future__ import annotations

from protocols import wording as w
from protocols.chapters import Chapter, Rule, _rule, chapters
from protocols.hours import clock
from protocols.model import Protocol
from protocols.promises import PASSES_PER_STEP


def all_chapters(p: Protocol) -> list[Chapter]:
    base = chapters(p)
    at = next((i for i, c in enumerate(base) if c.anchor == "triage"), 1)
    extra = [_hours(p), _language(p)]
    out = base[:at] + extra + base[at:]
    danger = next((i for i, c in enumerate(out) if c.anchor == "danger"), len(out) - 1)
    return [*out[: danger + 1], _during(p), *out[danger + 1 :]]


def _hours(p: Protocol) -> Chapter:
    rules: list[Rule] = []
    closed = [c for c, s in p.channels.items() if s.open_hours]
    if not closed:
        rules.append(Rule("Every channel is answered 24 hours a day, holidays included.", w.standard("27")))
    else:
        names = w.joined((w.CHANNEL_WORDS[c] for c in closed), "and")
        rules.append(
            Rule(
                f"Outside its open hours a contact by {names} is still queued, offered and timed like any "
                "other; the person gets the channel's after-hours text instead of the ordinary one.",
                w.standard("27"),
            )
        )
        if any(r for r in p.callbacks if "after_hours" in r.when):
            rules.append(
                Rule(
                    "If such a contact ends without an answer, the after-hours callback rule applies "
                    "(see Returning missed and abandoned contacts).",
                    w.standard("27"),
                )
            )
        if p.after_hours_escalation is not None:
            for s in p.after_hours_escalation:
                text = (
                    f"Out of hours, after {w.duration(s.after)} unanswered, {w.targets(s.notify)} "
                    f"{w.verb(list(s.notify), 'is', 'are')} notified by {w.vias(s.via)}."
                )
                rules.append(_rule(text, s, "29"))
    for h in p.holidays:
        hours = w.joined((f"{clock(x.start)}-{clock(x.end)}" for x in h.open_hours), "and")
        what = f"open {hours}" if h.open_hours else "closed all day"
        named = f" ({h.name})" if h.name else ""
        rules.append(
            Rule(f"{h.date.isoformat()}{named}: channels with open hours are {what}.", w.standard("27"))
        )
    return Chapter("Open hours and holidays", "hours", "What happens outside open hours.", rules)


def _language(p: Protocol) -> Chapter:
    rules = [
        Rule(
            "A contact is offered to someone who speaks its language; a regional variant counts as the "
            "language (es-MX is served by an es speaker, and the other way round).",
            w.standard("27"),
        )
    ]
    f = p.language_fallback
    if f is not None:
        text = (
            f"When nobody on call speaks the person's language, after {w.duration(f.after)} anyone "
            "may be offered the contact"
        )
        text += f", with this on the offer: \u201c{f.interpreter}\u201d." if f.interpreter else "."
        rules.append(_rule(text, f, "27"))
    rules.append(
        Rule(
            "At the breach, language no longer limits who is offered the contact.",
            w.standard("29"),
        )
    )
    return Chapter(
        "Languages", "language", "Nobody waits unoffered because of the language they speak.", rules
    )


def _during(p: Protocol) -> Chapter:
    rules = [
        Rule(
            "The responder holding a contact, or the supervisor on call, can add flags and raise its "
            "priority during the contact (by the API, or by texting FLAG and the flag names from their "
            "phone). It is recorded on the contact's timeline; a waiting contact moves to its new place "
            "in the queue and keeps its deadline.",
            w.standard("28"),
        ),
        Rule(
            "An offer that lapses or is declined goes to someone else first. The same responder is "
            f"offered one contact at most {PASSES_PER_STEP} times at each step of the ladder (the offer "
            "timeout apart); then it waits for the next step, the breach or someone new on call.",
            w.standard("29"),
        ),
    ]
    voice = p.channels.get("voice")
    if voice is not None and voice.danger_key:
        rules.insert(
            0,
            Rule(
                f"A caller can press {voice.danger_key} at the greeting to say they are in danger now: the "
                "call is handled as imminent danger at once.",
                w.standard("28"),
            ),
        )
    return Chapter(
        "During a contact", "during", "What staff and callers can change while a contact is open.", rules
    )
