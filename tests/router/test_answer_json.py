"""The JSON of the API's answers built from dicts and lists (router/api/routing.py `json_of`):
written by orjson, read back as the same values `json` wrote, times in their own isoformat."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from protocols import Priority
from router.api.routing import _dumps, _iso, json_of
from router.models import ContactStatus

LOCAL = timezone(timedelta(hours=5, minutes=30))


@dataclass
class Box:
    x: int


VALUES: list[Any] = [
    {"id": "c_1", "flags": ["after_hours"], "n": 3, "share": 0.1, "ok": True, "none": None},
    {"at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "local": datetime(2026, 3, 2, 9, 0, 0, 5, tzinfo=LOCAL)},
    {"naive": datetime(2026, 3, 2, 9, 0), "day": date(2026, 3, 2), "time": time(9, 30)},
    [{"status": ContactStatus.queued, "priority": Priority.high}, ("a", 1), -0.0, 1e20, 2**63 - 1],
    {"text": 'quote " back \\ slash \n line \u2028 é 日本 \x01'},
    # orjson refuses these: written by `json` as before
    {1: "an int key"},
    {"big": 2**64},
    {"box": Box(1)},
    {"set": {1}},
]


@pytest.mark.parametrize("value", VALUES)
def test_an_answer_reads_back_as_json_wrote_it(value: Any) -> None:
    before = json.dumps(value, default=_iso)
    assert json.loads(_dumps(value)) == json.loads(before)
    response = json_of(value)
    assert response.content_type == "application/json" and response.charset == "utf-8"
    assert response.text is not None and json.loads(response.text) == json.loads(before)


def test_times_keep_their_isoformat_and_non_numbers_become_null() -> None:
    at = datetime(2026, 3, 2, 9, 0, 0, 5, tzinfo=LOCAL)
    assert json.loads(_dumps({"at": at}))["at"] == at.isoformat() == "2026-03-02T09:00:00.000005+05:30"
    # `json` wrote NaN, which no JSON parser outside Python accepts.
    assert json.loads(_dumps([math.nan, math.inf])) == [None, None]
