"""`safetynet twilio check`: are the credentials and the number right, and which URLs go in the console."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twilio.rest import Client

from router.channels.twilio.channel import same_number
from router.channels.twilio.provider import ProviderError, TwilioProvider
from router.channels.twilio.security import Links
from router.settings import Settings

REQUIRED = (
    ("public_url", "SAFETYNET_PUBLIC_URL", "the https base URL Twilio reaches this service at"),
    ("twilio_account_sid", "SAFETYNET_TWILIO_ACCOUNT_SID", "the Account SID (AC...) from the Twilio console"),
    ("twilio_auth_token", "SAFETYNET_TWILIO_AUTH_TOKEN", "the account's Auth Token; it also checks webhooks"),
    ("twilio_number", "SAFETYNET_TWILIO_NUMBER", "the hotline's Twilio number in E.164, like +15551230000"),
)


@dataclass
class CheckReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = ["Twilio: ready" if self.ok else "Twilio: NOT ready"]
        out += [f"  problem: {p}" for p in self.problems]
        if self.urls:
            out.append("Paste into the Twilio console for the hotline number:")
            out.append(f"  A call comes in (webhook, HTTP POST): {self.urls['voice_url']}")
            out.append(f"  Call status changes (HTTP POST):      {self.urls['voice_status_callback']}")
            out.append(f"  A message comes in (webhook, POST):   {self.urls['messaging_url']}")
        return out


def webhook_urls(public_url: str) -> dict[str, str]:
    """What to paste into the Twilio console for the hotline number."""
    links = Links(public_url)
    return {
        "voice_url": links.url("/voice"),
        "voice_status_callback": links.url("/status"),
        "messaging_url": links.url("/sms"),
    }


async def check(settings: Settings) -> CheckReport:
    """Fetch the account and look the number up on it; compare its webhooks with ours."""
    problems = [f"{env} is not set: {what}" for attr, env, what in REQUIRED if not getattr(settings, attr)]
    if problems:
        return CheckReport(ok=False, problems=problems)
    public_url, hotline = settings.public_url or "", settings.twilio_number or ""
    urls = webhook_urls(public_url)
    if not public_url.startswith("https://"):
        problems.append("SAFETYNET_PUBLIC_URL should be https:// so Twilio's requests are private")
    provider = TwilioProvider(
        settings.twilio_account_sid or "",
        settings.twilio_auth_token or "",
        hotline,
        api_base=settings.twilio_api_base,
        attempts=2,
    )
    try:
        account = await provider.run(
            "account", lambda c: c.api.v2010.accounts(settings.twilio_account_sid).fetch_async()
        )
        if account.status != "active":
            problems.append(f"the Twilio account is {account.status}, not active")

        async def numbers(c: Client) -> Any:
            return await c.incoming_phone_numbers.list_async(phone_number=hotline, limit=20)

        found = [n for n in await provider.run("numbers", numbers) if same_number(n.phone_number, hotline)]
        if not found:
            problems.append("SAFETYNET_TWILIO_NUMBER is not a number on this Twilio account")
        else:
            number = found[0]
            for have, want, label in (
                (number.voice_url, urls["voice_url"], "voice webhook"),
                (number.status_callback, urls["voice_status_callback"], "call status callback"),
                (number.sms_url, urls["messaging_url"], "messaging webhook"),
            ):
                if have != want:
                    problems.append(f"the number's {label} is not set to this service's URL (see below)")
    except ProviderError as exc:
        hint = " (check the Account SID and Auth Token)" if exc.status in (401, 403, 404) else ""
        problems.append(f"{exc}{hint}")
    finally:
        await provider.close()
    return CheckReport(ok=not problems, problems=problems, urls=urls)
