"""`check`: the shipped protocols are clean; doubtful settings are warned about with their line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from protocols import check_file, check_report, check_text
from tests.protocols.helpers import snippet, warnings_of


@pytest.mark.parametrize("name", ["default.yaml", "examples/rural.yaml"])
def test_shipped_protocols_have_no_errors_and_no_warnings(name: str) -> None:
    text = resources.files("protocols").joinpath(name).read_text(encoding="utf-8")
    assert check_text(text, name) == []
    report = check_report(text, name)
    assert report.ok
    assert report.protocol is not None


def test_errors_come_back_as_lines_not_exceptions() -> None:
    problems = check_text("offer_timeout: soon\n", "p.yaml")
    assert problems == [
        "p.yaml:1: offer_timeout: 'soon' is not a duration: write it like 90s, 20m, 1h or PT20M"
    ]
    assert not check_report("offer_timeout: soon\n").ok


QUESTIONABLE = """
response_target: 5m
offer_timeout: 5m
escalation:
  - after: 10m
    notify: [backup]
triage:
  - name: danger
    keywords: [gun]
    flags: [imminent_dangr]
  - name: nothing
    language: sp
"""


def test_doubtful_settings_are_warnings_with_lines() -> None:
    warnings = warnings_of(QUESTIONABLE)
    assert (
        "ok.yaml:2: offer_timeout: warning: an offer rings for 5m, as long as the whole response target "
        "(5m): one unanswered offer breaches the contact"
    ) in warnings
    assert (
        "ok.yaml:4: escalation[0].after: warning: this step (10m) is at or after the response target (5m); "
        "the breach comes first, so it never fires"
    ) in warnings
    assert (
        "ok.yaml:9: triage[0].flags[0]: warning: unknown flag 'imminent_dangr'; "
        "did you mean 'imminent_danger'?; "
        "declare it under `flags:` (known: imminent_danger, minor, vulnerable_adult, handle_with_care)"
    ) in warnings
    assert "ok.yaml:10: triage[1]: warning: rule 'nothing' has no conditions, so it never fires" in warnings
    assert (
        "ok.yaml:11: triage[1].language: warning: 'sp' is not one of languages (en); "
        "add it there if that is meant" in warnings
    )
    assert any("no triage rule sets imminent_danger" in w for w in warnings)
    assert any("no callback rule for abandoned contacts" in w for w in warnings)
    # check_text lists them too, after any errors, each marked as a warning.
    assert check_text(snippet(QUESTIONABLE), "ok.yaml") == warnings


def test_overflow_partner_without_a_phone_is_warned_about() -> None:
    warnings = warnings_of(
        """
        partners:
          - {id: crisis, name: Crisis}
        escalation:
          - {after: 5m, notify: [partner, supervisor], partner: crisis}
        """
    )
    assert (
        "ok.yaml:2: partners[0]: warning: an overflow partner with no phone or transfer_to: "
        "calls cannot be handed over" in warnings
    )
    assert (
        "ok.yaml:2: partners[0].overflow: warning: used for overflow but not marked `overflow: true`"
        in warnings
    )


def test_check_file_reports_an_unreadable_file(tmp_path: Path) -> None:
    report = check_file(tmp_path / "missing.yaml")
    assert not report.ok
    assert report.errors[0].endswith(
        "missing.yaml: cannot read the protocol file (No such file or directory)"
    )
    good = tmp_path / "good.yaml"
    good.write_text(resources.files("protocols").joinpath("default.yaml").read_text(encoding="utf-8"))
    assert check_file(good).ok


def test_a_text_missing_in_the_fallback_language_is_warned_about() -> None:
    warnings = warnings_of("languages: [en, es]\nchannels:\n  sms:\n    auto_reply: {es: Hola}\n")
    assert (
        "ok.yaml:4: channels.sms.auto_reply: warning: no text in the fallback language 'en': "
        "a person whose language has no text gets none"
    ) in warnings


def test_a_bare_number_target_and_an_empty_breach_are_warned_about() -> None:
    warnings = warnings_of("response_target: 20\nbreach_notify: []\n")
    assert (
        "ok.yaml:1: response_target: warning: a response target of 20s is very short; "
        "if minutes are meant, write 20m (a bare number counts seconds)"
    ) in warnings
    assert (
        "ok.yaml:2: breach_notify: warning: nobody is paged when a contact breaches the response target"
        in warnings
    )
