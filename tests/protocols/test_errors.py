"""Mistakes in a protocol file are reported with the file, the line, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocols import Protocol, ProtocolError, load_protocol, parse_protocol
from tests.protocols.helpers import errors_of


def test_unknown_top_level_key_names_line_and_suggests() -> None:
    problems = errors_of(
        """
        name: test
        respone_target: 20m
        """
    )
    assert len(problems) == 1
    assert problems[0].startswith(
        "bad.yaml:2: respone_target: unknown key 'respone_target'; "
        "did you mean 'response_target'?; allowed here: "
    )
    assert "offer_timeout" in problems[0]


def test_unknown_key_inside_a_ladder_step() -> None:
    problems = errors_of(
        """
        escalation:
          - after: 5m
            notify: [backup]
          - after: 10m
            notfy: [supervisor]
        """
    )
    assert problems[1].startswith(
        "bad.yaml:5: escalation[1].notfy: unknown key 'notfy'; did you mean 'notify'?; allowed here: "
        "standard, why, after, notify, via, partner"
    )
    # The step also lacks its required `notify`; that is reported at the step itself.
    assert problems[0] == "bad.yaml:4: escalation[1].notify: required but missing: add `notify:` here"


def test_bad_duration_says_how_to_write_one() -> None:
    assert errors_of("response_target: 20 minutes\n") == [
        "bad.yaml:1: response_target: '20 minutes' is not a duration: write it like 90s, 20m, 1h or PT20M"
    ]


def test_wrong_types_are_named() -> None:
    problems = errors_of(
        """
        escalation:
          after: 5m
        callbacks:
          - when: [abandoned]
            attempts: many
        languages: en
        """
    )
    assert problems == [
        "bad.yaml:1: escalation: expected a list, like [a, b], not {'after': '5m'}",
        "bad.yaml:5: callbacks[0].attempts: expected a whole number, not 'many'",
        "bad.yaml:6: languages: expected a list, like [a, b], not 'en'",
    ]


def test_unordered_ladder_points_at_the_step_out_of_order() -> None:
    problems = errors_of(
        """
        escalation:
          - after: 10m
            notify: [supervisor]
          - after: 5m
            notify: [backup]
        """
    )
    assert problems == [
        "bad.yaml:4: escalation[1].after: steps must be in order of `after`: "
        "this one comes after a step at 10m"
    ]


def test_unknown_notify_target_lists_the_allowed_ones() -> None:
    problems = errors_of(
        """
        escalation:
          - after: 5m
            notify: [backup, pager]
            via: [sms]
        """
    )
    assert problems == [
        "bad.yaml:3: escalation[0].notify[1]: 'pager' is not allowed; "
        "use one of: primary, backup, supervisor, all_on_call or partner"
    ]


def test_unknown_via_and_priority() -> None:
    problems = errors_of(
        """
        default_priority: urgent
        breach_via: [pigeon]
        """
    )
    assert problems == [
        "bad.yaml:1: default_priority: 'urgent' is not allowed; use one of: critical, high, normal or low",
        "bad.yaml:2: breach_via[0]: 'pigeon' is not allowed; use one of: sms, voice, email or console",
    ]


def test_partner_in_ladder_must_exist() -> None:
    problems = errors_of(
        """
        partners:
          - id: crisis-line
            name: Crisis Line
        escalation:
          - after: 5m
            notify: [partner]
            partner: crisis-lines
          - after: 8m
            notify: [partner]
        """
    )
    assert problems == [
        "bad.yaml:7: escalation[0].partner: 'crisis-lines' is not a partner id; did you mean 'crisis-line'? "
        "(partners: crisis-line)",
        "bad.yaml:9: escalation[1].notify: notifies `partner` but no partner is named: "
        "set `partner:` on this step or `overflow_partner:`",
    ]


def test_key_given_twice() -> None:
    assert errors_of("name: a\noffer_timeout: 30s\nname: b\n") == [
        "bad.yaml:3: name: given twice (first on line 1); keep only one"
    ]


def test_yaml_syntax_error_names_the_line() -> None:
    problems = errors_of("name: a\ntriage:\n  - name: [unclosed\n")
    assert len(problems) == 1
    assert problems[0].startswith("bad.yaml:4: not valid YAML:")


def test_not_a_mapping() -> None:
    assert errors_of("- a\n- b\n") == [
        "bad.yaml:1: a protocol file is a mapping of keys to values (name: ..., triage: ...)"
    ]


def test_bad_regex_and_empty_keyword_point_at_the_item() -> None:
    problems = errors_of(
        """
        triage:
          - name: danger
            keywords: [gun, ""]
            patterns:
              - "ok"
              - "(unclosed"
        """
    )
    assert problems[0] == "bad.yaml:3: triage[0].keywords[1]: a keyword cannot be empty"
    assert problems[1].startswith("bad.yaml:6: triage[0].patterns[1]: not a valid regular expression")


def test_channel_settings_mistakes() -> None:
    problems = errors_of(
        """
        channels:
          fax:
            greeting: {en: hi}
          sms:
            auto_reply:
              en: "Hi from {hotlne}"
            open_hours:
              - {start: "25:00", end: "06:00"}
        """
    )
    assert problems == [
        "bad.yaml:2: channels.fax: 'fax' is not allowed; use one of: voice, sms, chat or email",
        "bad.yaml:6: channels.sms.auto_reply.en: unknown placeholder {hotlne}; "
        "allowed: {hotline}, {partner}, {phone}, {sms}, {email}, {web}, {hours}",
        "bad.yaml:8: channels.sms.open_hours[0].start: '25:00' is not a clock time: "
        'write it like "08:00" or "22:30" (24-hour)',
    ]


def test_time_zone_language_and_window() -> None:
    problems = errors_of(
        """
        timezone: America/Nowhere
        languages: [en, "e s"]
        triage:
          - name: night
            hours:
              - {start: "22:00", end: "22:00"}
        """
    )
    assert problems == [
        "bad.yaml:1: timezone: 'America/Nowhere' is not a time zone: use an IANA name like America/New_York",
        "bad.yaml:2: languages[1]: 'e s' is not a language code: write it like en, es or es-MX",
        "bad.yaml:6: triage[0].hours[0].end: a window cannot start and end at the same time; "
        "for all day use 00:00-24:00",
    ]


def test_duplicates_and_dangling_references() -> None:
    problems = errors_of(
        """
        triage:
          - {name: a, keywords: [x]}
          - {name: a, keywords: [y]}
        dispositions: [done, done]
        disposition_rules:
          referal: {requires: [referral]}
        fallback_language: fr
        """
    )
    assert problems == [
        "bad.yaml:3: triage[1].name: rule name 'a' is used twice; names must be unique",
        "bad.yaml:4: dispositions[1]: disposition 'done' is listed twice",
        "bad.yaml:6: disposition_rules.referal: 'referal' is not in dispositions (dispositions: done, done)",
        "bad.yaml:7: fallback_language: 'fr' is not one of languages (en)",
    ]


def test_imminent_danger_cannot_go_to_a_partner() -> None:
    problems = errors_of("imminent_danger:\n  offer_to: [partner]\n")
    assert problems[0].startswith("bad.yaml:2: imminent_danger.offer_to: imminent danger stays")


def test_error_message_joins_problems_and_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("offer_timeout: soon\nbreach_via: [pigeon]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"p\.yaml:1: offer_timeout: 'soon' is not a duration") as info:
        load_protocol(path)
    assert isinstance(info.value, ProtocolError)
    assert str(info.value).count("\n") == 1


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"nothing\.yaml: cannot read the protocol file"):
        load_protocol(tmp_path / "nothing.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "triage:\n  - name: a\n    keyword: [gun]\n",
            "bad.yaml:3: triage[0].keyword: unknown key 'keyword'; did you mean 'keywords'?",
        ),
        (
            "channels:\n  sms:\n    autoreply: {en: hi}\n",
            "bad.yaml:3: channels.sms.autoreply: unknown key 'autoreply'; did you mean 'auto_reply'?",
        ),
        (
            "partners:\n  - id: a\n    name: A\n    phone_number: '1'\n",
            "bad.yaml:4: partners[0].phone_number: unknown key 'phone_number'",
        ),
        (
            "mandated_reporting:\n  checklist:\n    - {key: what, question: What}\n",
            "bad.yaml:3: mandated_reporting.checklist[0].question: unknown key 'question'",
        ),
        (
            "retention:\n  personal: 30d\n",
            "bad.yaml:2: retention.personal: unknown key 'personal'; did you mean 'personal_data'?",
        ),
    ],
)
def test_unknown_keys_at_any_depth(text: str, expected: str) -> None:
    assert any(p.startswith(expected) for p in errors_of(text)), errors_of(text)


def test_an_empty_file_is_the_built_in_defaults() -> None:
    assert parse_protocol("# nothing yet\n").version == Protocol().version


def test_empty_lists_and_zero_durations() -> None:
    problems = errors_of("offer_timeout: 0\ndispositions: []\nresponse_target: 20m\n")
    assert problems == [
        "bad.yaml:1: offer_timeout: must be longer than 0s: write it like 90s, 20m or 1h",
        "bad.yaml:2: dispositions: needs at least 1 item; an empty list is not allowed",
    ]
