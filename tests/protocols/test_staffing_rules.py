"""The protocol's staff rules: validated, and the manual says what the engine does with them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from protocols import ProtocolError, check_text, default_protocol, parse_protocol, render_markdown


def test_manual_states_wrap_up_answer_timeout_debrief_and_feedback() -> None:
    p = default_protocol()
    manual = render_markdown(p)
    assert "no new offer for 2 minutes (wrap-up)" in manual
    assert "not answered within 3 minutes" in manual
    assert "offered an immediate debrief" in manual and "15 minutes break" in manual
    assert "did this conversation help?" in manual and "{hotline}" not in manual
    assert "Close a follow-up as referral\\_confirmed" in manual
    assert "Last verified: 2026-01-15" in manual
    none = render_markdown(p.model_copy(update={"wrap_up": timedelta(0), "debrief": None, "feedback": None}))
    assert "no wrap-up time" in none and "immediate debrief" not in none and "optional question" not in none


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("wrap_up: 2h\n", "wrap_up"),
        ("answer_timeout: 1s\n", "answer_timeout"),
        ("debrief: {after: []}\n", "debrief.after"),
        ("debrief: {break_for: 9h}\n", "debrief.break_for"),
        ("feedback: {question: {en: 'How was it'}, channels: [voice]}\n", "feedback.channels"),
        ("feedback: {question: {en: 'How was it'}, scale: [good, good]}\n", "feedback.scale"),
        ("feedback: {scale: ['1', '2']}\n", "feedback.question"),
    ],
)
def test_bad_staff_settings_are_refused_with_their_place(text: str, where: str) -> None:
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text)
    assert where in str(err.value)


def test_partner_review_dates() -> None:
    p = parse_protocol(
        "partners:\n"
        "  - {id: a, name: A, last_verified: 2026-01-01, review_every: 30d}\n"
        "  - {id: b, name: B}\n"
    )
    a, b = p.partners
    assert a.review_due() == date(2026, 1, 31)
    assert not a.is_stale(date(2026, 1, 30)) and a.is_stale(date(2026, 1, 31))
    assert b.review_due() is None and b.is_stale(date(2020, 1, 1))  # never verified: due now


def test_feedback_answers_are_words_of_the_scale() -> None:
    p = default_protocol()
    assert p.feedback is not None
    assert p.feedback.answer(" 4. ") == "4" and p.feedback.answer("four") is None


def test_check_warns_about_doubtful_staff_settings() -> None:
    lines = check_text(
        "languages: [en, es]\n"
        "debrief: {after: [trafiking]}\n"
        "feedback: {question: {en: 'Did it help?'}}\n"
        "partners:\n"
        "  - {id: a, name: A}\n"
    )
    assert any("debrief.after[0]" in x and "'trafiking' is neither" in x for x in lines)
    assert any("feedback.question" in x and "no question in es" in x for x in lines)
    assert any("partners[0].last_verified" in x and "never verified" in x for x in lines)
    assert all(x.split(": ", 1)[1].startswith("warning:") or "warning" in x for x in lines)
