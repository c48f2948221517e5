"""deploy/compose.yaml through Docker Compose's own `config`, and the shape an operator needs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.tools import DEPLOY, clean_env, compose_command

COMPOSE = DEPLOY / "compose.yaml"
FILLED = {
    "SAFETYNET_SECRET_KEY": "k" * 43,
    "SAFETYNET_ADMIN_TOKEN": "t" * 43,
    "POSTGRES_PASSWORD": "p" * 24,
    "REDIS_PASSWORD": "r" * 24,
    "SAFETYNET_PUBLIC_URL": "https://hotline.example.org",
}
INSTANCES = ("safetynet-a", "safetynet-b")
WRITER = "ledger-writer"
# The instances' container hardening and restart policy: the writer must keep every one of them.
HARDENING = ("read_only", "tmpfs", "cap_drop", "security_opt", "restart")


def config(tmp_path: Path, values: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    args = ["--file", str(COMPOSE), "--env-file", str(env_file), "config", "--format", "json"]
    return subprocess.run(
        [*compose_command(), *args],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
        timeout=60,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    done = config(tmp_path_factory.mktemp("compose"), FILLED)
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def test_compose_accepts_the_file(project: dict[str, Any]) -> None:
    assert project["name"] == "safetynet"


@pytest.mark.parametrize("missing", sorted(FILLED))
def test_compose_refuses_to_start_without_each_required_value(tmp_path: Path, missing: str) -> None:
    values = dict(FILLED)
    values[missing] = ""
    done = config(tmp_path, values)
    assert done.returncode != 0
    assert missing in done.stderr


def test_the_example_env_file_is_refused_until_filled_in(tmp_path: Path) -> None:
    """Placeholders would be accepted as keys; the example leaves them empty instead."""
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#"))
    assert set(FILLED) <= set(values)
    assert all(value == "" for value in values.values())
    assert config(tmp_path, values).returncode != 0


def test_every_service_restarts_and_has_a_health_check(project: dict[str, Any]) -> None:
    for name, service in project["services"].items():
        assert service.get("restart") == "unless-stopped", name
        if name == WRITER:
            continue
        assert service.get("healthcheck", {}).get("test"), name


def test_the_ledger_writer_turns_off_the_images_http_check(project: dict[str, Any]) -> None:
    """`ledger write` serves no HTTP: the image's /healthz check would call it unhealthy forever."""
    assert project["services"][WRITER]["healthcheck"] == {"disable": True}


def test_redis_master_replica_three_sentinels_postgres_two_instances_and_a_proxy(
    project: dict[str, Any],
) -> None:
    services = project["services"]
    assert set(services) == {
        "redis-master",
        "redis-replica",
        "sentinel-1",
        "sentinel-2",
        "sentinel-3",
        "postgres",
        "safetynet-a",
        "safetynet-b",
        "ledger-writer",
        "proxy",
    }
    assert "--replicaof" in services["redis-replica"]["command"]
    for name in ("redis-master", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3"):
        # The image's entrypoint drops root only for `redis-server`; start.sh runs as redis itself.
        assert services[name]["user"] == "redis"
        assert services[name]["command"][:2] == ["sh", "/usr/local/etc/redis/start.sh"]
    sentinel_conf = (DEPLOY / "redis" / "sentinel.conf").read_text(encoding="utf-8")
    assert "sentinel monitor mymaster redis-master 6379 2" in sentinel_conf
    for name in INSTANCES:
        env = services[name]["environment"]
        password = FILLED["REDIS_PASSWORD"]
        assert env["SAFETYNET_REDIS_URL"] == (
            f"redis+sentinel://:{password}@sentinel-1:26379,sentinel-2:26379,sentinel-3:26379"
            f"/mymaster/0?sentinel_password={password}"
        )
        assert env["SAFETYNET_LEDGER_URL"].startswith("postgresql+asyncpg://safetynet:")
        assert env["SAFETYNET_LEDGER_URL"].endswith("@postgres:5432/safetynet")
        assert env["SAFETYNET_SECRET_KEY"] == FILLED["SAFETYNET_SECRET_KEY"]
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
        assert Path(services[name]["build"]["context"]) == DEPLOY.parent
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]
        assert services[name]["volumes"][0]["source"] == f"{name}-data"
        # Only the proxy is reachable from outside.
        assert "ports" not in services[name]


def test_only_the_proxy_publishes_ports_and_the_data_network_is_internal(project: dict[str, Any]) -> None:
    published = {name for name, service in project["services"].items() if service.get("ports")}
    assert published == {"proxy"}
    assert project["networks"]["backend"]["internal"] is True
    for name in ("redis-master", "redis-replica", "sentinel-1", "postgres"):
        assert set(project["services"][name]["networks"]) == {"backend"}
    assert set(project["services"]["proxy"]["networks"]) == {"frontend"}


def test_instances_leave_the_ledger_to_a_writer_service_of_their_own(project: dict[str, Any]) -> None:
    services = project["services"]
    writer = services[WRITER]
    for name in INSTANCES:
        assert services[name]["environment"]["SAFETYNET_LEDGER_WRITER"] == "process", name
        # The same image and the same settings: the writer files the ledger the instances name.
        assert writer["image"] == services[name]["image"]
        assert writer["build"] == services[name]["build"]
        assert writer["environment"] == services[name]["environment"]
    # The image's entrypoint is `safetynet`: this is `safetynet ledger write`.
    assert writer["command"] == ["ledger", "write"]
    for name in ("sentinel-1", "sentinel-2", "sentinel-3", "postgres"):
        assert writer["depends_on"][name]["condition"] == "service_healthy", name
    # `ledger write` handles SIGTERM (tests/router/test_ledger_writer_stops.py); the init is for
    # the moment before its handler is installed, when PID 1 would ignore the signal.
    assert writer["init"] is True


def test_the_ledger_writer_is_hardened_as_the_instances_are(project: dict[str, Any]) -> None:
    services = project["services"]
    writer = services[WRITER]
    for name in INSTANCES:
        for key in HARDENING:
            assert key in services[name], (name, key)
            assert writer.get(key) == services[name][key], key
    assert writer["read_only"] is True
    assert writer["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in writer["security_opt"]
    # Redis and PostgreSQL only: nothing reaches it and it reaches nothing outside.
    assert set(writer["networks"]) == {"backend"}
    assert "ports" not in writer and "expose" not in writer
