"""The staff manual's content: every protocol rule in plain words, with the standard it serves."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocols import wording as w
from protocols.base import Cited
from protocols.channels import TEXT_KINDS, TEXT_MEANING, fill
from protocols.chapters_staff import follow_up_details, partner_review, staff_rules
from protocols.model import Protocol


@dataclass(frozen=True)
class Rule:
    text: str
    standard: str | None = None
    why: str | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chapter:
    title: str
    anchor: str
    intro: str
    rules: list[Rule] = field(default_factory=list)


def _rule(text: str, source: Cited | None, default_standard: str, *details: str) -> Rule:
    std = source.standard if source and source.standard else default_standard
    return Rule(text, w.standard(std), source.why if source else None, tuple(details))


_CONTACT_WORDS = {
    "phone": "Phone",
    "sms": "Text",
    "email": "Email",
    "web": "Web",
    "transfer_to": "Warm transfer to",
}


def _flags(p: Protocol, names: list[str], last: str = "or") -> str:
    return w.joined((w.flag(f, p.flags[f].label if f in p.flags else None) for f in names), last)


def chapters(p: Protocol) -> list[Chapter]:
    return [
        _overview(p),
        _channels(p),
        _triage(p),
        _danger(p),
        _ladder(p),
        _callbacks(p),
        _closing(p),
        _reporting(p),
        _referrals(p),
        _staff(p),
        _retention(p),
    ]


def _staff(p: Protocol) -> Chapter:
    rules = [Rule(text, std, why, details) for text, std, why, details in staff_rules(p)]
    return Chapter(
        "Responders' time and support",
        "staff",
        "Wrap-up, breaks and debriefs keep the people who answer able to keep answering.",
        rules,
    )


def _overview(p: Protocol) -> Chapter:
    langs = w.joined(w.language(x) for x in p.languages)
    rules = [
        Rule(
            f"This manual is protocol version {p.version} ({p.name}). "
            "The routing engine obeys the same file, "
            "and every contact records the version that routed it.",
            w.standard("28"),
        ),
        _rule(
            "Every contact, on every channel, is answered by a person within "
            f"{w.duration(p.response_target)}. "
            "A contact not answered by then is a breach: it is recorded and reported.",
            None,
            "29",
        ),
        _rule(
            f"An offer rings one responder for {w.duration(p.offer_timeout)}. "
            "If it is not accepted in that time "
            "it passes to the next available responder on call.",
            None,
            "29",
        ),
        Rule(
            f"The hotline works in {langs}; when a text is missing in the person's language it is given in "
            f"{w.language(p.fallback)}. Times of day are in the {p.timezone} time zone.",
            w.standard("27"),
        ),
    ]
    return Chapter(
        "About this protocol",
        "overview",
        f"{p.hotline or p.name}: the written operations protocol, as the phone system applies it.",
        rules,
    )


def _channels(p: Protocol) -> Chapter:
    rules: list[Rule] = []
    for channel, s in p.channels.items():
        name = w.CHANNEL_WORDS[channel]
        hours = w.joined((x.describe() for x in s.open_hours), "and") if s.open_hours else "24 hours a day"
        rules.append(_rule(f"{name.capitalize()}: answered {hours}.", s, "32"))
        for kind in TEXT_KINDS:
            texts = s.texts(kind)
            if not texts:
                continue
            when = TEXT_MEANING[kind]
            if kind == "hold" and s.hold_interval:
                when = f"while the person waits, every {w.duration(s.hold_interval)}"
            if kind == "at_capacity" and s.at_capacity_waiting:
                when = (
                    "instead of the ordinary first reply (on a call, instead of the hold message) when "
                    f"nobody on call is free to take the contact and {s.at_capacity_waiting} or more "
                    "contacts are waiting"
                )
            shown = {"hotline": p.hotline or p.name, **w.PLACEHOLDER_WORDS}
            details = [f"{w.language(lang)}: \u201c{fill(text, shown)}\u201d" for lang, text in texts.items()]
            std = "28" if kind in ("hold", "danger", "callback") else "27"
            rules.append(_rule(f"{name.capitalize()}: {when}, the person hears:", s, std, *details))
    for key, text in p.messages.items():
        rules.append(Rule(f"Message {key}: \u201c{text}\u201d", w.standard("27")))
    return Chapter(
        "What the person hears on each channel",
        "channels",
        "Nobody reaching out sits unanswered and unnoticed: each channel tells them they are heard.",
        rules,
    )


def _triage(p: Protocol) -> Chapter:
    rules = [
        Rule(
            f"A contact that matches no rule has {p.default_priority.value} priority. The most urgent "
            "matching rule sets the priority; the flags of every matching rule are added.",
            w.standard("28"),
        )
    ]
    for r in p.triage:
        conds: list[str] = []
        if r.keywords or r.patterns:
            words = w.quoted(r.keywords)
            pats = r.patterns_mean or (f"text matching {w.quoted(r.patterns)}" if r.patterns else "")
            said = w.joined([f"any of the words {words}" if words else "", pats], "or")
            anywhere = ", whatever language the contact is in" if r.any_language else ""
            conds.append(f"the message contains {said} (any case, accents optional{anywhere})")
        if r.language and not r.any_language:
            conds.append(f"the contact is in {w.language(r.language)} (or its language is unknown)")
        if r.channels:
            conds.append(f"it comes by {w.joined((w.CHANNEL_WORDS[c] for c in r.channels), 'or')}")
        if r.hours:
            conds.append(f"it arrives {w.joined((x.describe() for x in r.hours), 'or')}")
        if r.repeat:
            conds.append(
                f"the same person has made {r.repeat.contacts} or more contacts within "
                f"{w.duration(r.repeat.within)} (this one included)"
            )
        if r.when_flags:
            conds.append(f"it is already flagged {_flags(p, r.when_flags)}")
        outcome = f"priority {r.priority.value}"
        if r.flags:
            outcome += ", flagged " + w.joined(
                w.flag(f, p.flags[f].label if f in p.flags else None) for f in r.flags
            )
        text = (
            f"Rule \u201c{r.name}\u201d: when {w.joined(conds) or 'never (no conditions)'}, then {outcome}."
        )
        rules.append(_rule(text, r, "28"))
    for name, spec in p.flags.items():
        parts = [f"Flag {w.flag(name, spec.label)} ({name})"]
        if spec.means:
            parts.append(f"means {spec.means}")
        if spec.priority:
            parts.append(f"gives at least {spec.priority.value} priority")
        if spec.handoff:
            parts.append("travels with the contact on a warm handoff")
        rules.append(_rule(", ".join(parts) + ".", spec, "28"))
    return Chapter(
        "Assessing danger and urgency (triage)",
        "triage",
        "Every contact is triaged the moment it arrives, from its words, channel, time and history.",
        rules,
    )


def _danger(p: Protocol) -> Chapter:
    d = p.imminent_danger
    steps = [f"it is offered to {w.targets(d.offer_to)} at once"]
    if d.skip_ladder:
        steps.insert(0, "it skips the escalation ladder")
    if d.page:
        steps.append(
            f"{w.targets(d.page)} {w.verb(list(d.page), 'is', 'are')} paged immediately by {w.vias(d.via)}"
        )
    text = (
        f"When a contact is flagged {_flags(p, d.flags)}, it has critical priority, " + w.joined(steps) + "."
    )
    rules = [
        _rule(text, d, "28"),
        Rule(
            "The responder assesses immediate danger first and helps the person reach emergency "
            "services when they want that.",
            w.standard("28"),
        ),
    ]
    return Chapter("Imminent danger", "danger", "Danger is never left to wait its turn.", rules)


def _ladder(p: Protocol) -> Chapter:
    rules: list[Rule] = []
    for i, s in enumerate(p.escalation):
        partner = p.overflow_partner_for(i)
        who = w.targets(s.notify, partner.name if partner else None)
        is_ = w.verb(list(s.notify), "is", "are")
        text = f"After {w.duration(s.after)} unanswered, {who} {is_} notified by {w.vias(s.via)}."
        if "partner" in s.notify:
            text += (
                " A call is warm-transferred (the caller stays on the line while the partner is reached); "
                "a text contact gets the partner's contact details, "
                "and the handoff is recorded and followed up."
            )
        rules.append(_rule(text, s, "29"))
    partner = p.overflow_partner_for(None)
    rules.append(
        Rule(
            f"At {w.duration(p.response_target)} the contact is breached: "
            f"{w.targets(p.breach_notify, partner.name if partner else None)} "
            f"{w.verb(list(p.breach_notify), 'is', 'are')} paged by {w.vias(p.breach_via)}.",
            w.standard("29"),
        )
    )
    return Chapter(
        "When nobody answers: the escalation ladder",
        "escalation",
        "Times count from the moment the contact arrived. The ladder stops as soon as a person answers.",
        rules,
    )


def _callbacks(p: Protocol) -> Chapter:
    rules = []
    for r in p.callbacks:
        chans = w.joined((w.CHANNEL_WORDS[c] for c in r.channels), "or") if r.channels else "any channel"
        use = w.USE_WORDS[r.use]
        if r.use in ("voice", "sms"):
            use += " when the person left a phone number (chat and email: their own channel)"
        elif r.use in ("chat", "email"):
            use = "the same channel (only a phone number can be reached another way)"
        due = f"after {w.duration(r.due_after)}" if r.due_after else "at once"
        text = (
            f"When {w.joined((w.REASON_WORDS[x] for x in r.when), 'or')} on {chans}, a callback task with "
            f"{r.priority.value} priority is due {due}, by {use}: "
            f"up to {r.attempts} attempt(s), {w.duration(r.spacing)} apart. "
            "It is queued, offered and escalated like any contact."
        )
        if r.only_if_safe:
            text += (
                " A contact flagged handle with care gets no callback: calling back could alert an abuser."
            )
        rules.append(_rule(text, r, "28"))
    if not rules:
        rules.append(
            Rule("This protocol sets no callbacks for missed or abandoned contacts.", w.standard("28"))
        )
    return Chapter(
        "Returning missed and abandoned contacts", "callbacks", "Missed contacts are returned.", rules
    )


def _closing(p: Protocol) -> Chapter:
    rules = []
    for code in p.dispositions:
        d = p.disposition_rules.get(code)
        label = f"{d.label} ({code})" if d and d.label else code
        text = f"Close as {label}"
        if d and d.means:
            text += f" when {d.means}"
        needs = w.joined(w.FIELD_WORDS[f] for f in d.requires) if d and d.requires else ""
        text += f"; record {needs}." if needs else "."
        rules.append(_rule(text, d, "27"))
    return Chapter(
        "Closing a contact", "closing", "Every contact closes with a documented disposition.", rules
    )


def _reporting(p: Protocol) -> Chapter:
    m = p.mandated_reporting
    rules = [
        _rule(
            f"When a contact is flagged {_flags(p, m.when_flags)}, it cannot be closed until the "
            "mandated-report checklist is complete, or the reason no report is due is written down. "
            f"It must be closed so within {w.duration(m.deadline)} of its arrival: a flagged contact "
            "closed later, or still open by then, is a late report under Standard 30.",
            m,
            "30",
            *[f"{c.ask}{'' if c.required else ' (optional)'}" for c in m.checklist],
        )
    ]
    for a in m.agencies:
        how = w.joined([x for x in (a.phone, a.web) if x], "or")
        for_ = f" for {_flags(p, a.for_flags)}" if a.for_flags else ""
        rules.append(
            Rule(f"Report{for_} to {a.name}{': ' + how if how else ''}.", w.standard(m.standard or "30"))
        )
    return Chapter("Mandated reporting", "reporting", "What the law requires, and telling the person.", rules)


def _referrals(p: Protocol) -> Chapter:
    f = p.referral_follow_up
    who = {"partner": "the partner", "person": "the person", "either": "the partner or the person"}[
        f.confirm_with
    ]
    text = (
        f"After a referral{' or a handoff' if f.handoffs_too else ''}, a follow-up is due after "
        f"{w.duration(f.after)} to confirm with {who} that the person was taken on: up to {f.attempts} "
        f"attempt(s), {w.duration(f.spacing)} apart."
    )
    rules = [_rule(text, f, "23/35", *follow_up_details(p))]
    for x in p.partners:
        details = [f"Services: {w.joined(x.services) or 'not listed'}"]
        details.append(f"Languages: {w.joined(w.language(code) for code in x.languages) or 'not listed'}")
        details.append(f"Hours: {x.hours_text()}")
        for key in ("phone", "sms", "email", "web", "transfer_to"):
            value = getattr(x, key)
            if value:
                details.append(f"{_CONTACT_WORDS[key]}: {value}")
        if x.id in p.overflow_partner_ids:  # said only when a step or the breach really uses it
            details.append("Takes overflow from this hotline's escalation ladder.")
        if x.notes:
            details.append(x.notes)
        verified = x.last_verified.isoformat() if x.last_verified else None
        details.append(partner_review(p, verified, x.review_every.days))
        rules.append(_rule(f"{x.name} ({x.id})", x, "23/35", *details))
    return Chapter(
        "Referrals and partners", "referrals", "Redundancy is a safety net only when coordinated.", rules
    )


def _retention(p: Protocol) -> Chapter:
    r = p.retention
    rules = [
        _rule(
            "Phone numbers, email addresses, message text and notes are deleted after "
            f"{w.duration(r.personal_data)}.",
            r,
            "9/11/12/15",
        ),
        _rule(
            f"Anonymised contact records (timings, dispositions) are kept {w.duration(r.contact_records)}.",
            r,
            "9/11/12/15",
        ),
        _rule(
            f"The record of who looked at contact records is kept {w.duration(r.access_audit)}.",
            r,
            "9/11/12/15",
        ),
    ]
    return Chapter(
        "Keeping and deleting records",
        "retention",
        "Personal data is kept no longer than the hotline needs it, then purged.",
        rules,
    )
