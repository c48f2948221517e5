"""The manual's chapter on responders' time and support (Standard 31), and the follow-up and
directory rules it adds to referrals: what the engine does with wrap_up, answer_timeout,
debrief, feedback, referral follow-up dispositions and partner review dates."""

from __future__ import annotations

from protocols import wording as w
from protocols.base import Cited
from protocols.channels import fill
from protocols.model import Protocol


def rule_args(text: str, source: Cited | None, default_standard: str) -> tuple[str, str | None, str | None]:
    std = source.standard if source and source.standard else default_standard
    return text, w.standard(std), source.why if source else None


def staff_rules(p: Protocol) -> list[tuple[str, str | None, str | None, tuple[str, ...]]]:
    """(text, standard, why, details) for each rule about the people who answer."""
    out: list[tuple[str, str | None, str | None, tuple[str, ...]]] = []
    wrap = (
        f"After closing a contact a responder gets no new offer for {w.duration(p.wrap_up)} (wrap-up), "
        "so notes are finished and a breath is taken before the next person."
        if p.wrap_up.total_seconds() > 0
        else "A responder may be offered the next contact as soon as they close one (no wrap-up time)."
    )
    out.append((*rule_args(wrap, None, "31"), ()))
    out.append(
        (
            *rule_args(
                f"A contact accepted but not answered within {w.duration(p.answer_timeout)} (the call "
                "did not connect, or no first reply was sent) goes back to its place in the queue with "
                "its deadline unchanged, and the responder is told.",
                None,
                "29",
            ),
            (),
        )
    )
    out.append(
        (
            *rule_args(
                "Presence: text AWAY or BACK from your own phone, or use the console. BREAK [minutes] "
                "pauses offers until the break ends; setting your presence yourself ends it sooner. "
                "The supervisor on call (or a manager) may move a contact to a named responder.",
                None,
                "31",
            ),
            (),
        )
    )
    d = p.debrief
    if d is not None:
        names = w.joined((x.replace("_", " ") for x in d.after), "or")
        out.append(
            (
                *rule_args(
                    f"After a contact marked {names} closes, the responder is offered an immediate "
                    f"debrief: {w.targets(d.page)} {w.verb(list(d.page), 'is', 'are')} paged by "
                    f"{w.vias(d.via)}, and the responder may take a {w.duration(d.break_for)} break before "
                    "the next offer. The debrief is recorded when it is held.",
                    d,
                    "31",
                ),
                (),
            )
        )
    fb = p.feedback
    if fb is not None:
        shown = {"hotline": p.hotline or p.name}
        details = tuple(
            f"{w.language(lang)}: \u201c{fill(text, shown)}\u201d" for lang, text in fb.question.items()
        )
        skip = w.joined((x.replace("_", " ") for x in fb.skip_flags), "or")
        by = w.joined((w.CHANNEL_WORDS[c] for c in fb.channels), "or")
        out.append(
            (
                *rule_args(
                    f"At the end of an answered conversation by {by} the person is "
                    f"asked one optional question (answers: {', '.join(fb.scale)}), never when the contact "
                    f"is flagged {skip or 'handle with care'}. An answer within the hour is counted by "
                    "day, with no link to the person or the conversation.",
                    fb,
                    "27",
                ),
                details,
            )
        )
    return out


def follow_up_details(p: Protocol) -> tuple[str, ...]:
    f = p.referral_follow_up
    return (
        f"Close a follow-up as {f.confirm_disposition} when the partner took the person on: no more "
        "attempts are made.",
        f"Close it as {f.unconfirmed_disposition} when that could not be confirmed: the next attempt "
        f"is scheduled {w.duration(f.spacing)} later, until {f.attempts} attempt(s) are used.",
    )


def partner_review(p: Protocol, last_verified: str | None, review_days: int) -> str:
    if last_verified is None:
        return f"Last verified: never (check it now; then every {review_days} days)"
    return f"Last verified: {last_verified} (checked again every {review_days} days)"
