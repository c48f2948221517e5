"""`twilio check`: credentials, the number and its console webhooks, checked against the local API."""

from __future__ import annotations

from router.channels.twilio import check, webhook_urls
from tests.channels.conftest import HOTLINE, PUBLIC, RigFactory


async def test_check_reports_missing_settings(make_rig: RigFactory) -> None:
    rig = await make_rig(twilio_auth_token=None)
    report = await check(rig.service.settings)
    assert not report.ok
    assert any("SAFETYNET_TWILIO_AUTH_TOKEN" in p for p in report.problems)


async def test_check_finds_the_number_and_compares_its_webhooks(make_rig: RigFactory) -> None:
    rig = await make_rig()
    report = await check(rig.service.settings)
    assert not report.ok and "not a number on this Twilio account" in report.problems[0]

    rig.api.numbers[HOTLINE] = {"voice_url": None, "sms_url": None, "status_callback": None}
    report = await check(rig.service.settings)
    assert len(report.problems) == 3 and all("is not set to this service" in p for p in report.problems)

    urls = webhook_urls(PUBLIC)
    rig.api.numbers[HOTLINE] = {
        "voice_url": urls["voice_url"],
        "sms_url": urls["messaging_url"],
        "status_callback": urls["voice_status_callback"],
    }
    report = await check(rig.service.settings)
    assert report.ok, report.problems
    assert "A call comes in" in "\n".join(report.lines())


async def test_check_names_bad_credentials(make_rig: RigFactory) -> None:
    rig = await make_rig()
    settings = rig.service.settings.model_copy(update={"twilio_auth_token": "wrong"})
    report = await check(settings)
    assert not report.ok and "Auth Token" in report.problems[0]
    assert "wrong" not in " ".join(report.problems)
