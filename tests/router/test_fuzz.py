"""Hypothesis-generated requests for every route of /v1/openapi.json, against the real app on a real Redis.

No answer may be a server error (the store is up here), and every 4xx body is in the error format.
The server runs on its own event loop in a thread; the test speaks plain HTTP to it, so each
example is one real request and the number of examples bounds the run (well under a minute).
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import redis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router.api.app import create_app
from router.channels import chat
from router.channels import email as email_channel
from router.service import Service
from router.settings import Settings
from tests.redis_server import RedisServer

ADMIN = "fuzz-admin-token"
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
IDS = ["ana", "main", "c_0001", "o_0001", "x" * 300, "..", "%00", "ana/presence", "😀"]
Json = Any


@dataclass
class Server:
    base: str
    doc: dict[str, Any]


def _serve(url: str, ready: list[Any], stop: threading.Event) -> None:
    async def main() -> None:
        settings = Settings(redis_url=url, admin_token=ADMIN, secret_key="fuzz-secret-key")
        service = await Service.create(settings)
        app = create_app(service, [chat.install, email_channel.install])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ready.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        await asyncio.to_thread(stop.wait)  # the test thread says when
        await runner.cleanup()
        await service.stop()

    asyncio.run(main())


@pytest.fixture(scope="module")
def server(redis_srv: RedisServer) -> Iterator[Server]:
    client = redis.Redis.from_url(redis_srv.url)
    client.flushdb()
    client.close()
    ready: list[Any] = []
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(redis_srv.url, ready, stop), daemon=True)
    thread.start()
    for _ in range(400):
        if ready or not thread.is_alive():
            break
        threading.Event().wait(0.05)
    assert ready, "the server did not start"
    base = ready[0]
    with urllib.request.urlopen(base + "/v1/openapi.json", timeout=10) as response:  # noqa: S310 - local
        doc = json.loads(response.read())
    yield Server(base, doc)
    stop.set()
    thread.join(timeout=20)


# -- bodies from the document's own schemas ---------------------------------------------------------
def from_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Json]:
    """A rough instance of a JSON schema: mostly valid shapes, with wrong values mixed in."""
    if "$ref" in schema:
        return st.deferred(lambda: from_schema(defs[schema["$ref"].rsplit("/", 1)[1]], defs, depth + 1))
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return st.one_of([from_schema(s, defs, depth + 1) for s in schema[key]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | st.text(max_size=8)
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "object" and depth < 6:
        props = schema.get("properties", {})
        if not props:
            return st.dictionaries(st.text(max_size=8), scalars(), max_size=4)
        fields = {k: from_schema(v, defs, depth + 1) for k, v in props.items()}
        required = [k for k in schema.get("required", []) if k in fields]
        optional = {k: v for k, v in fields.items() if k not in required}
        return st.fixed_dictionaries({k: fields[k] for k in required}, optional=optional)
    if kind == "array" and depth < 6:
        return st.lists(from_schema(schema.get("items", {}), defs, depth + 1), max_size=4)
    if kind == "string":
        if schema.get("format") == "date-time":
            return times()
        if schema.get("format") in ("duration", "time", "date"):
            return st.sampled_from(["PT15M", "12h", "09:00", "2026-03-02", "1m", "-1", ""])
        return st.text(max_size=40) | st.sampled_from(["ana", "main", "en", "sms", "primary", "UTC"])
    if kind == "integer":
        return st.integers(-(2**40), 2**40)
    if kind == "number":
        return st.floats(allow_nan=False) | st.integers()
    if kind == "boolean":
        return st.booleans()
    return scalars()


def scalars() -> st.SearchStrategy[Json]:
    return st.none() | st.booleans() | st.integers() | st.text(max_size=20)


def times() -> st.SearchStrategy[str]:
    return st.builds(
        lambda minutes: (NOW + timedelta(minutes=minutes)).isoformat(), st.integers(-(10**6), 10**7)
    ) | st.sampled_from(["2026-03-02T10:00:00", "not a time", "2026-02-30T00:00:00Z"])


def hostile() -> st.SearchStrategy[bytes]:
    return st.sampled_from(
        [
            b"[" * 50_000 + b"]" * 50_000,
            b'{"a":' * 3000 + b"1" + b"}" * 3000,
            b"{" + b" " * 1_100_000 + b"}",
            b"\xff\xfe not json",
            b"null",
            b"[]",
            b'{"from": "+15550001111", "channel": "sms", "skills": ["' + b"s" * 5000 + b'"]}',
        ]
    )


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None
    token: str | None


def calls(doc: dict[str, Any]) -> st.SearchStrategy[Call]:
    defs = doc["components"]["schemas"]
    ops: list[st.SearchStrategy[Call]] = []
    for template, methods in doc["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            path_names = [p["name"] for p in params if p["in"] == "path"]
            query_names = [p["name"] for p in params if p["in"] == "query"]
            schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            body: st.SearchStrategy[bytes | None] = st.none()
            if schema is not None:
                body = (
                    from_schema(schema, defs).map(lambda v: json.dumps(v).encode())
                    | st.recursive(scalars(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)).map(
                        lambda v: json.dumps(v).encode()
                    )
                    | hostile()
                )
            ops.append(
                st.builds(
                    _call,
                    st.just(method.upper()),
                    st.just(template),
                    st.fixed_dictionaries(
                        {n: st.sampled_from(IDS) | st.text(min_size=1) for n in path_names}
                    ),
                    st.dictionaries(st.sampled_from(query_names or ["x"]), times() | st.text(), max_size=3),
                    body,
                    st.sampled_from([ADMIN, ADMIN, ADMIN, None, "wrong-token"]),
                )
            )
    return st.one_of(ops)


def _call(
    method: str,
    template: str,
    path: dict[str, str],
    query: dict[str, str],
    body: bytes | None,
    token: str | None,
) -> Call:
    url = template
    for name, value in path.items():
        url = url.replace("{" + name + "}", quote(value, safe=""))
    if query:
        url += "?" + urlencode(query)
    return Call(method, url, body, token)


def send(base: str, call: Call) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if call.token:
        headers["Authorization"] = f"Bearer {call.token}"
    request = urllib.request.Request(base + call.path, data=call.body, method=call.method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local server
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_every_route_answers_fuzzed_requests_without_a_server_error(server: Server) -> None:
    seen: dict[int, int] = {}

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(calls(server.doc))
    def one(call: Call) -> None:
        status, raw = send(server.base, call)
        seen[status] = seen.get(status, 0) + 1
        assert status < 500, (call.method, call.path, status, raw[:300])
        if status >= 400:
            data = json.loads(raw)
            assert set(data) == {"error"}, (call.method, call.path, data)
            assert {"code", "message", "details"} <= set(data["error"]), data

    one()
    assert sum(seen.values()) >= 300
    assert any(s < 300 for s in seen) and any(400 <= s < 500 for s in seen), seen
