"""Triage folds a contact's text once and skips the Unicode pass for ASCII: the result must be
what the full fold gives, for any text and any rule set."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from protocols import default_protocol
from protocols.textmatch import QUOTES, fold


def reference_fold(text: str) -> str:
    """The fold as first written: NFKD, drop combining marks, casefold, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(QUOTES))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@given(st.text())
def test_fold_equals_the_full_unicode_fold(text: str) -> None:
    assert fold(text) == reference_fold(text)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fold_equals_the_full_unicode_fold(text: str) -> None:
    assert fold(text) == reference_fold(text)


def test_accents_quotes_and_case_still_fold() -> None:
    assert fold("  Quiero  MORIR\u2019 ñandú  ") == "quiero morir' nandu"


CASES = [
    ("chat", "I want to kill myself tonight", "en"),
    ("sms", "Quiero MATARME esta noche", "es"),
    ("sms", "quiero matarme", None),
    ("email", "He is 14 and they took his passport", "en"),
    ("chat", "just checking the opening hours", "en"),
    ("voice", "", None),
]


def test_classify_fires_the_same_rules_as_rule_by_rule_matching() -> None:
    """run_triage shares one folded text among the rules; each rule asked alone (folding the
    text itself) must agree about which fire."""
    p = default_protocol()
    at = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    for channel, text, language in CASES:
        triage = p.classify(channel, text, language, at=at)
        local = at.astimezone(p.zone)
        alone = [r.name for r in p.triage if r.matches(channel, text, language, local=local, at=at)]
        assert set(alone) <= set(triage.rules)  # when_flags rules may add more in later rounds
        assert [n for n in triage.rules if n in alone] == alone
    assert "imminent-danger-en" in p.classify("chat", "I want to KILL MYSELF", "en").rules
    assert "imminent-danger-es" in p.classify("sms", "quiero matarme", "en").rules


def test_a_rule_reacting_to_flags_still_fires_on_a_later_round() -> None:
    """One round suffices only without `when_flags` rules: with one, a flag set by a rule
    listed after it must still make it fire."""
    from protocols.triage import TriageRule

    p = default_protocol()
    reacting = TriageRule(name="reacts", when_flags=["trafficking"], flags=["escalate_now"])
    setting = TriageRule(name="sets", keywords=["passport"], flags=["trafficking"])
    rules = p.model_copy(update={"triage": [reacting, setting]})
    triage = rules.classify("chat", "they took my passport", "en")
    assert triage.rules == ("sets", "reacts")
    assert "escalate_now" in triage.flags
