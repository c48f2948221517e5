"""CSV import and export: local and offset times, and line-numbered errors with nothing imported."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedules import ROLES, CsvImportError, RowError, Shift, read_csv, write_csv
from tests.schedules.helpers import PROPERTY, shift, spans, utc


def test_offsets_and_local_times() -> None:
    text = (
        "responder,role,start,end\n"
        "ana,primary,2026-03-07T19:00,2026-03-08T07:00\n"
        "ben,Backup,2026-03-08T00:00:00Z,2026-03-08T12:00:00+00:00\n"
        "\n"
        "cy,supervisor,2026-03-08 09:00-04:00,2026-03-08 17:00-04:00\n"
    )
    got = read_csv(text, timezone="America/New_York")
    assert spans(got) == [
        ("ana", "primary", utc(2026, 3, 8), utc(2026, 3, 8, 11)),
        ("ben", "backup", utc(2026, 3, 8), utc(2026, 3, 8, 12)),
        ("cy", "supervisor", utc(2026, 3, 8, 13), utc(2026, 3, 8, 21)),
    ]


def test_every_bad_line_is_reported_and_nothing_imported() -> None:
    text = (
        "\ufeffResponder, role ,start,end\n"
        "ana,primary,2026-03-07T19:00,2026-03-08T07:00\n"
        "ben,boss,2026-03-08T00:00,2026-03-08T12:00\n"
        ",primary,tomorrow,2026-03-08\n"
        "cy,primary,2026-03-08T02:30,2026-03-08T05:00\n"
        "dee,backup,2026-11-01T01:30,2026-11-01T05:00\n"
        "eve,backup,2026-03-09T10:00,2026-03-09T09:00\n"
        "fay,backup,2026-03-09T10:00\n"
    )
    with pytest.raises(CsvImportError) as caught:
        read_csv(text, timezone="America/New_York")
    errors = caught.value.errors
    assert [e.line for e in errors] == [3, 4, 5, 6, 7, 8]
    assert errors[0].message == "role 'boss' is not one of primary, backup, supervisor"
    assert errors[1].message.startswith(
        "responder is empty; start 'tomorrow' is not an ISO 8601 date and time"
    )
    assert "end '2026-03-08' is not an ISO 8601 date and time" in errors[1].message
    assert errors[2].message == (
        "start: 2026-03-08T02:30:00 does not exist in America/New_York (the clocks skip it): "
        "give the time with its UTC offset"
    )
    assert errors[3].message == (
        "start: 2026-11-01T01:30:00 happens twice in America/New_York (the clocks go back): "
        "add the UTC offset (-04:00 or -05:00)"
    )
    assert errors[4].message.startswith("a shift must end after it starts")
    assert errors[5] == RowError(8, "expected 4 fields, found 3")
    assert str(errors[5]) == "line 8: expected 4 fields, found 3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty"),
        ("who,role,start,end\n", "missing column(s) responder; unknown column(s) 'who'"),
        ("responder,role,start,end,end\n", "a column is named twice"),
    ],
)
def test_bad_headers(text: str, message: str) -> None:
    with pytest.raises(CsvImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_csv(text)


def test_unknown_zone() -> None:
    with pytest.raises(CsvImportError, match="unknown time zone 'Atlantis'"):
        read_csv("responder,role,start,end\n", timezone="Atlantis")


def test_round_trip_in_local_time() -> None:
    shifts = [
        shift("ana", "primary", utc(2026, 3, 8), utc(2026, 3, 8, 11)),
        shift("o'brien, pat", "backup", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)),
    ]
    text = write_csv(shifts, timezone="America/New_York")
    assert text.splitlines() == [
        "responder,role,start,end",
        "ana,primary,2026-03-07T19:00:00-05:00,2026-03-08T07:00:00-04:00",
        '"o\'brien, pat",backup,2026-11-01T01:30:00-04:00,2026-11-01T01:30:00-05:00',
    ]
    assert spans(read_csv(text)) == spans(shifts)
    assert spans(read_csv(write_csv(shifts))) == spans(shifts)


def test_a_quoted_field_over_two_lines_names_the_line_the_row_starts_on() -> None:
    text = (
        'responder,role,start,end\n"ana\nsmith",primary,2026-03-08T00:00Z,2026-03-08T01:00Z\nben,nope,x,y\n'
    )
    with pytest.raises(CsvImportError) as caught:
        read_csv(text)
    assert [e.line for e in caught.value.errors] == [4]


NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1)


@PROPERTY
@given(
    st.lists(
        st.builds(
            lambda who, role, a, n: shift(
                who, role, utc(2026, 1, 1) + timedelta(minutes=a), utc(2026, 1, 1) + timedelta(minutes=a + n)
            ),
            NAMES.filter(lambda s: len(s) <= 128),
            st.sampled_from(ROLES),
            st.integers(0, 600_000),
            st.integers(1, 20_000),
        ),
        max_size=20,
    ),
    st.sampled_from(["UTC", "America/New_York", "Europe/London", "Asia/Kolkata"]),
)
def test_every_shift_survives_a_csv_round_trip(shifts: list[Shift], timezone: str) -> None:
    back = read_csv(write_csv(shifts, timezone=timezone), timezone="UTC")
    assert sorted(s.key() for s in back) == sorted(s.key() for s in shifts)
