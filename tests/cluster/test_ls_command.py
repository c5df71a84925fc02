"""`mirrord-ide ls` as a user runs it: a real process, JSON on stdout, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mirrord_simcluster.testing import SimCluster
from support.cluster import ADMIN, EXPIRED, HELLO, seed, workload
from support.server import run_cli, server_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SEED = seed(
    {"name": "default", "deployments": [HELLO]},
    {"name": "shop", "rollouts": [workload("search", "s:1")]},
    users=(ADMIN, EXPIRED),
)


def run_ls(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("ls", "-o", "json", *args, env=server_env(kubeconfig))


def test_ls_prints_targets_and_errors(sim_cluster_factory: object, tmp_path: Path) -> None:
    cluster: SimCluster = sim_cluster_factory(SEED)  # type: ignore[operator]
    admin = cluster.kubeconfig_for("admin")

    done = run_ls(admin)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["namespace"] == "default"
    assert [t["path"] for t in result["targets"]][0] == "deployment/hello"

    config = tmp_path / "mirrord.json"
    config.write_text(
        json.dumps({"target": {"namespace": "shop"}, "feature": {"copy_target": True}})
    )
    done = run_ls(admin, "--config", str(config))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["namespace"] == "shop"
    search = next(t for t in result["targets"] if t["kind"] == "rollout")
    assert search["path"] == "rollout/search" and search["available"] is False
    assert "copy_target" in search["reason"]

    done = run_ls(admin, "-n", "nope")
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 1, done.stdout
    line = done.stdout
    assert json.loads(line)["error"]["kind"] == "not-found"

    done = run_ls(cluster.kubeconfig_for("expired"))
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["kind"] == "unauthorized" and "hint" in error
    assert cluster.token_for("expired") not in done.stdout + done.stderr

    done = run_ls(admin, "--config", str(tmp_path / "missing.json"))
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["kind"] == "invalid-config"
