"""What SafetyNet says: TwiML documents for calls and texts, and the wording of offers and pages."""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from protocols.wording import LANGUAGE_NAMES
from router.channels.twilio.sms import split_sms
from router.models import Contact, Offer

# Twilio <Say> voices per language; anything else is read with the default voice.
SAY_LANGUAGES = {"en": "en-US", "es": "es-MX", "fr": "fr-FR", "pt": "pt-BR"}
CHANNEL_WORDS = {"voice": "voice", "sms": "text", "chat": "chat", "email": "email"}
DEFAULT_HOLD_S = 45
DEFAULT_GREETING = "You have reached the hotline. Please stay on the line; a person will be with you shortly."
DEFAULT_HOLD = "Thank you for waiting. Someone will be with you soon."
DEFAULT_AUTO_REPLY = (
    "You have reached the hotline. A person will reply soon. If you are in danger now, call 911."
)
DEFAULT_HELP = (
    "{hotline}: text us here any time and a trained advocate will reply. In danger now? Call 911. "
    "Reply STOP to stop texts."
)
RESPONDER_HELP = (
    "SafetyNet: reply 1 to accept an offer, 2 to pass (add the offer code when asked). "
    "Text normally to answer the person. CLOSE <disposition> [notes] when done "
    "(add the contact code first if you hold several); it asks for anything the protocol needs, "
    "ABORT stops it. AWAY / BACK set your presence; BREAK [minutes] pauses offers."
)


def xml(response: VoiceResponse | MessagingResponse) -> str:
    return str(response.to_xml())


def say_language(language: str | None) -> str | None:
    return SAY_LANGUAGES.get((language or "en").split("-")[0].lower())


def describe(contact: Contact) -> str:
    """ "chat contact, priority high, Spanish": what a responder needs to decide, and no PII."""
    words = [
        f"{CHANNEL_WORDS.get(contact.channel, contact.channel)} contact",
        f"priority {contact.priority.value}",
    ]
    if contact.language:
        base = contact.language.split("-")[0].lower()
        words.append(LANGUAGE_NAMES.get(base, contact.language))
    return ", ".join(words)


def offer_text(contact: Contact, offer: Offer, code: str | None) -> str:
    """The SMS offer; the code is added only when the responder must tell offers apart."""
    reply = f"Reply 1 {code} to accept, 2 {code} to pass." if code else "Reply 1 to accept, 2 to pass."
    extra = "".join(f" {label}: {text}" for label, text in protocol_words(contact))
    return f"New {describe(contact)}.{extra} {reply}"


def protocol_words(contact: Contact) -> list[tuple[str, str]]:
    """What the protocol asks the responder to have in hand: the callback opening, the interpreter."""
    out = []
    if contact.opening:
        out.append(("Callback - open with", contact.opening))
    if contact.interpreter:
        out.append(("Interpreter", contact.interpreter))
    return out


def offer_whisper(contact: Contact) -> str:
    extra = "".join(f" {label}: {text}" for label, text in protocol_words(contact))
    return f"SafetyNet. New {describe(contact)}.{extra} Press 1 to accept, or 2 to pass."


def page_text(contact: Contact, reason: str, waited_min: int) -> str:
    if reason == "debrief":
        return (
            f"SafetyNet Debrief: {contact.responder} just closed a {describe(contact)} "
            f"({', '.join(contact.flags) or contact.disposition}). "
            "Please check in with them now (Standard 31) and record the debrief."
        )
    what = {"breach": "BREACH", "imminent_danger": "DANGER"}.get(reason, "Escalation")
    return (
        f"SafetyNet {what}: a {describe(contact)} has waited {waited_min} min unanswered "
        f"(level {contact.escalation_level}). Open the console or stay available to take it."
    )


# -- voice documents -----------------------------------------------------------------------
def greet_and_enqueue(
    greeting: str | None,
    language: str | None,
    queue: str,
    wait_url: str,
    action_url: str,
    menu: list[tuple[str, str]] | None = None,
    menu_url: str | None = None,
) -> str:
    """Greeting, optionally a language menu (a key goes to `menu_url`; no key falls through),
    then the caller's own queue."""
    r = VoiceResponse()
    if menu and menu_url:
        gather = Gather(num_digits=1, action=menu_url, method="POST", timeout=4)
        if greeting:
            gather.say(greeting, language=say_language(language))
        for text, lang in menu:
            gather.say(text, language=say_language(lang))
        r.append(gather)
    elif greeting:
        r.say(greeting, language=say_language(language))
    r.enqueue(queue, action=action_url, method="POST", wait_url=wait_url, wait_url_method="POST")
    return xml(r)


def hold(text: str, language: str | None, interval_s: int, again_url: str) -> str:
    """Reassure, wait one interval, then ask again (Twilio also replays the waitUrl when it ends)."""
    r = VoiceResponse()
    r.say(text, language=say_language(language))
    r.pause(length=max(1, interval_s))
    r.redirect(again_url, method="POST")
    return xml(r)


def whisper_gather(text: str, action_url: str) -> str:
    r = VoiceResponse()
    gather = Gather(num_digits=1, action=action_url, method="POST", timeout=10)
    gather.say(text)
    r.append(gather)
    r.say("No key was pressed. You can still text 1 to this number to accept. Goodbye.")
    r.hangup()
    return xml(r)


def bridge(intro: str, queue: str, connect_url: str, caller_id: str | None, status_url: str) -> str:
    """The responder's leg: take this contact's caller out of its queue and join the two."""
    r = VoiceResponse()
    r.say(intro)
    dial = Dial(caller_id=caller_id, action=status_url, method="POST")
    dial.queue(queue, url=connect_url, method="POST")
    r.append(dial)
    return xml(r)


def call_back(intro: str, number: str, connect_url: str, caller_id: str | None, status_url: str) -> str:
    """The responder's leg of a callback: ring the person; `connect_url` runs when they answer."""
    r = VoiceResponse()
    r.say(intro)
    dial = Dial(caller_id=caller_id, action=status_url, method="POST")
    dial.number(number, url=connect_url, method="POST")
    r.append(dial)
    return xml(r)


def say_and_hang_up(text: str, loop: int = 1) -> str:
    r = VoiceResponse()
    r.say(text, loop=loop)
    r.hangup()
    return xml(r)


def say(text: str, language: str | None) -> str:
    r = VoiceResponse()
    r.say(text, language=say_language(language))
    return xml(r)


def empty_voice() -> str:
    return xml(VoiceResponse())


def leave_queue() -> str:
    r = VoiceResponse()
    r.leave()
    return xml(r)


# -- messaging documents ----------------------------------------------------------------------
def messages(*texts: str) -> str:
    """A reply to an incoming text: each text split into parts Twilio accepts."""
    r = MessagingResponse()
    for text in texts:
        for part in split_sms(text):
            r.message(part)
    return xml(r)
