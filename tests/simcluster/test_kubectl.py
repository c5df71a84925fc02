"""kubectl v1.32 against the simulated cluster."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from mirrord_simcluster.testing import SimCluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]


def kubectl(
    cluster: SimCluster, *args: str, user: str = "admin", timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig_for(user)), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def names_in(table: str) -> list[str]:
    return [line.split()[0] for line in table.strip().splitlines()[1:]]


def test_get_with_label_and_field_selectors(sim_cluster: SimCluster) -> None:
    out = kubectl(
        sim_cluster,
        "get",
        "pods",
        "-n",
        "shop",
        "-l",
        "tier=backend",
        "--field-selector",
        "status.phase=Running",
    )
    assert out.returncode == 0, out.stderr
    header = out.stdout.splitlines()[0].split()
    assert header[:3] == ["NAME", "READY", "STATUS"]
    names = names_in(out.stdout)
    assert len(names) == 4 and all(n.startswith(("api-", "cart-")) for n in names)
    out = kubectl(
        sim_cluster, "get", "pods", "-A", "--field-selector", "spec.nodeName=node-3", "-o", "wide"
    )
    assert out.returncode == 0, out.stderr
    assert {line.split()[7] for line in out.stdout.splitlines()[1:]} == {"node-3"}


def test_chunked_get_matches_unchunked(sim_cluster: SimCluster) -> None:
    whole = kubectl(sim_cluster, "get", "pods", "-A", "-o", "name")
    chunked = kubectl(sim_cluster, "get", "pods", "-A", "-o", "name", "--chunk-size=3")
    assert whole.returncode == chunked.returncode == 0
    assert whole.stdout == chunked.stdout and len(whole.stdout.splitlines()) > 20
    pages = sim_cluster.requests.count(path_contains="/api/v1/pods")
    assert pages >= len(whole.stdout.splitlines()) // 3


def test_get_json(sim_cluster: SimCluster) -> None:
    out = kubectl(sim_cluster, "get", "deployments", "-n", "shop", "-o", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["kind"] == "List"
    assert {d["metadata"]["name"] for d in doc["items"]} == {
        "api",
        "cart",
        "frontend",
        "recommendations",
    }
    assert all(d["kind"] == "Deployment" for d in doc["items"])


def test_describe_pod(sim_cluster: SimCluster) -> None:
    out = kubectl(sim_cluster, "describe", "pod", "-n", "shop", "thumbnailer")
    assert out.returncode == 0, out.stderr
    assert "CrashLoopBackOff" in out.stdout
    assert "containerd://" in out.stdout
    assert "Restart Count:  14" in out.stdout


def test_create_from_manifest(sim_cluster: SimCluster, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-file\n  namespace: payments\n"
        "spec:\n  containers:\n  - name: app\n    image: nginx:1.27\n"
    )
    out = kubectl(sim_cluster, "create", "-f", str(manifest))
    assert out.returncode == 0, out.stderr
    assert "pod/from-file created" in out.stdout
    assert sim_cluster.store.get("pods", "payments", "from-file") is not None
    again = kubectl(sim_cluster, "create", "-f", str(manifest))
    assert again.returncode != 0
    assert 'pods "from-file" already exists' in again.stderr


def test_errors_are_reported_like_a_real_cluster(sim_cluster: SimCluster) -> None:
    out = kubectl(sim_cluster, "get", "pod", "nope", "-n", "shop")
    assert out.returncode != 0 and 'pods "nope" not found' in out.stderr
    out = kubectl(sim_cluster, "get", "pods", "-n", "payments", user="viewer")
    assert out.returncode != 0
    assert 'User "viewer" cannot list resource "pods"' in out.stderr
    out = kubectl(sim_cluster, "get", "pods", user="expired")
    assert out.returncode != 0
    assert "Unauthorized" in out.stderr or "credentials" in out.stderr


def test_watch_sees_a_new_pod(sim_cluster: SimCluster) -> None:
    sim_cluster.options.schedule_delay = 0.05
    proc = subprocess.Popen(
        [
            "kubectl",
            "--kubeconfig",
            str(sim_cluster.kubeconfig_path),
            "get",
            "pods",
            "-n",
            "default",
            "-w",
            "--request-timeout=4s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        sim_cluster.store.put(
            "pods",
            "default",
            {
                "metadata": {"name": "watched-by-kubectl"},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                "status": {"phase": "Pending"},
            },
        )
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "debug-shell" in out  # the initial list
    lines = [line for line in out.splitlines() if line.startswith("watched-by-kubectl")]
    assert lines and "Running" in lines[-1], (out, err)
