"""deploy/k8s through a Kubernetes schema validator (strict), and the hardening it must keep."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import DEPLOY, clean_env, tool

K8S = DEPLOY / "k8s"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
# The oldest Kubernetes still commonly run, and the newest the validator knows.
VERSIONS = ["1.29.0", "1.37.0"]
WRITER = "ledger-writer.yaml"
POD_TMP = "/tmp"  # noqa: S108 - the pod's /tmp, an emptyDir; nothing here writes to it


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / name).read_text(encoding="utf-8"))
    return loaded


def validate(*paths: Path, version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tool("kubernetes-validate", "the test extras (kubernetes-validate)"),
            "--strict",
            "--kubernetes-version",
            version,
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
        timeout=120,
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_strictly(version: str) -> None:
    done = validate(*MANIFESTS, version=version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(" passed for resource ") == len(MANIFESTS), done.stdout


def test_the_validator_rejects_a_misspelt_field(tmp_path: Path) -> None:
    bad = tmp_path / "deployment.yaml"
    text = (K8S / "deployment.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("readOnlyRootFilesystem:", "readOnlyRootFileSystem:"), encoding="utf-8")
    done = validate(bad, version=VERSIONS[-1])
    assert done.returncode != 0
    assert "readOnlyRootFileSystem" in done.stdout + done.stderr


def test_kustomization_applies_everything_but_the_secret_template() -> None:
    resources = load("kustomization.yaml")["resources"]
    assert sorted(resources) == sorted(p.name for p in MANIFESTS if p.name != "secret.template.yaml")


def hardened_container(deployment: dict[str, Any]) -> dict[str, Any]:
    """The pod's one container, after checking the hardening every SafetyNet pod keeps: non-root,
    no service account token, read-only root, no capabilities, seccomp, requests and limits,
    /tmp an emptyDir, and the shared settings (ConfigMap and Secret) as its environment."""
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["privileged"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts[POD_TMP]]
    refs = [next(iter(source.values()))["name"] for source in container["envFrom"]]
    names = [load(f)["metadata"]["name"] for f in ("configmap.yaml", "secret.template.yaml")]
    assert refs == names
    # One process a pod: replicas scale a Deployment, not `serve --workers`.
    assert "SAFETYNET_WORKERS" not in {variable["name"] for variable in container.get("env", [])}
    assert "--workers" not in container["args"]
    found: dict[str, Any] = container
    return found


def test_deployment_is_two_hardened_replicas_with_probes_and_limits() -> None:
    deployment = load("deployment.yaml")
    assert deployment["spec"]["replicas"] == 2
    container = hardened_container(deployment)
    assert container["args"][0] == "serve"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_instances_leave_the_ledger_to_a_writer_deployment_of_their_own() -> None:
    settings = load("configmap.yaml")["data"]
    assert settings["SAFETYNET_LEDGER_WRITER"] == "process"
    assert "SAFETYNET_WORKERS" not in settings
    assert "SAFETYNET_WORKERS" not in load("secret.template.yaml")["stringData"]
    writer = load(WRITER)
    assert writer["kind"] == "Deployment"
    # Two take turns by the writer's lock: one files, the other takes over if it goes.
    assert writer["spec"]["replicas"] == 2
    container = hardened_container(writer)
    # The image's entrypoint is `safetynet`: this is `safetynet ledger write`.
    assert container["args"] == ["ledger", "write"]
    assert container["image"] == hardened_container(load("deployment.yaml"))["image"]


def test_the_ledger_writer_is_hardened_as_the_instances_are() -> None:
    instance = load("deployment.yaml")["spec"]["template"]["spec"]
    writer = load(WRITER)["spec"]["template"]["spec"]
    for key in ("securityContext", "automountServiceAccountToken", "enableServiceLinks"):
        assert writer[key] == instance[key], key
    (instance_container,) = instance["containers"]
    (writer_container,) = writer["containers"]
    assert writer_container["securityContext"] == instance_container["securityContext"]


def test_the_ledger_writer_serves_nothing_and_nothing_routes_to_it() -> None:
    writer = load(WRITER)
    labels = writer["spec"]["template"]["metadata"]["labels"]
    assert writer["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (container,) = writer["spec"]["template"]["spec"]["containers"]
    # `ledger write` listens on nothing: no port, and no probe that would ask it over HTTP.
    assert "ports" not in container
    assert not [key for key in container if key.endswith("Probe")]
    instance_labels = load("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    for selector in (
        load("service.yaml")["spec"]["selector"],
        load("pdb.yaml")["spec"]["selector"]["matchLabels"],
        load("deployment.yaml")["spec"]["selector"]["matchLabels"],
    ):
        assert not selector.items() <= labels.items(), selector
    assert not writer["spec"]["selector"]["matchLabels"].items() <= instance_labels.items()


def test_disruption_budget_and_service_select_the_pods() -> None:
    labels = load("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    pdb = load("pdb.yaml")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert load("service.yaml")["spec"]["selector"].items() <= labels.items()
    # A drain leaves one ledger writer of the two, and the instances' budget is not theirs.
    writer_labels = load(WRITER)["spec"]["template"]["metadata"]["labels"]
    writers = load("ledger-writer-pdb.yaml")
    assert writers["spec"]["minAvailable"] == 1
    assert writers["spec"]["selector"]["matchLabels"].items() <= writer_labels.items()
    assert not writers["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_secret_template_holds_no_secret() -> None:
    secret = load("secret.template.yaml")
    assert "data" not in secret
    values = secret["stringData"]
    assert values["SAFETYNET_SECRET_KEY"] == "" and values["SAFETYNET_ADMIN_TOKEN"] == ""
    assert "PASSWORD@" in values["SAFETYNET_LEDGER_URL"]
    assert values["SAFETYNET_REDIS_URL"].startswith("redis+sentinel://:PASSWORD@")
    assert not set(values) & set(load("configmap.yaml")["data"])
