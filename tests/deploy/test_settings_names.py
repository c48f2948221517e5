"""Every SAFETYNET_* name the deploy files set is a setting `serve` knows (an unknown one
stops it at start), so a typo in a deploy file fails here rather than on the operator's host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.settings import Settings
from tests.deploy.tools import DEPLOY, ROOT

FILES = [
    ROOT / "Dockerfile",
    DEPLOY / "compose.yaml",
    DEPLOY / "env.example",
    DEPLOY / "systemd" / "safetynet.service",
    DEPLOY / "systemd" / "safetynet-ledger.service",
    DEPLOY / "k8s" / "configmap.yaml",
    DEPLOY / "k8s" / "ledger-writer.yaml",
    DEPLOY / "k8s" / "secret.template.yaml",
]
# Settings the ledger work adds (SQL ledger, its data directory). Until that lands they may
# be named here; once Settings has them they are checked like every other.
ARRIVING = {"ledger_url", "data_dir"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_deploy_files_name_only_known_settings(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    names = {m.lower() for m in re.findall(r"\bSAFETYNET_([A-Z0-9_]+)\b", text)}
    assert names, f"{path} names no setting"
    unknown = names - set(Settings.model_fields) - ARRIVING
    assert unknown == set(), f"{path.name}: unknown setting(s) {sorted(unknown)}"
