"""`mirrord-ide ls` and the command line as a kubectl user expects them."""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from mirrord_ide import __version__
from mirrord_ide.cli import build_parser
from mirrord_simcluster.testing import SimCluster
from support.cluster import HELLO, cluster_fixture, seed, workload
from support.server import run_cli, server_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SEED = seed(
    {"name": "default", "deployments": [HELLO]},
    {
        "name": "shop",
        "deployments": [workload("cart", "c:1")],
        "rollouts": [workload("search", "s:1")],
    },
)


cluster = cluster_fixture(SEED)


def run(*args: str, kubeconfig: Path | str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=server_env(kubeconfig))


def test_default_output_is_a_table(cluster: SimCluster) -> None:
    done = run("ls", kubeconfig=cluster.kubeconfig_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "CONTAINER", "AVAILABLE", "REASON"]
    first = lines[1].split()
    assert first[:4] == ["deployment/hello", "deployment", "hello", "yes"]
    # Columns line up: every row has its KIND where the header has it.
    at = lines[0].index("KIND")
    assert all(line[at:].startswith(("deployment", "pod")) for line in lines[1:])


def test_all_namespaces_adds_the_namespace_column(cluster: SimCluster) -> None:
    done = run("ls", "-A", kubeconfig=cluster.kubeconfig_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"]
    namespaces = {line.split()[0] for line in lines[1:]}
    assert {"default", "shop"} <= namespaces


def test_json_output_is_the_list_targets_contract(cluster: SimCluster) -> None:
    import asyncio

    from mirrord_ide.cluster.kubeconfig import KubeSettings
    from mirrord_ide.cluster.service import ClusterService

    done = run("ls", "-o", "json", "-n", "shop", kubeconfig=cluster.kubeconfig_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # one line, as before
    printed = json.loads(done.stdout)

    async def direct() -> object:
        service = ClusterService(KubeSettings(kubeconfig=str(cluster.kubeconfig_path)))
        try:
            return (await service.list_targets("shop")).to_json()
        finally:
            service.close()

    assert printed == asyncio.run(direct())
    assert set(printed) >= {"namespace", "targets"}


@pytest.mark.slow
def test_yaml_name_and_wide(cluster: SimCluster) -> None:
    as_json = json.loads(
        run("ls", "-o", "json", "-n", "shop", kubeconfig=cluster.kubeconfig_path).stdout
    )
    as_yaml = yaml.safe_load(
        run("ls", "-o", "yaml", "-n", "shop", kubeconfig=cluster.kubeconfig_path).stdout
    )
    assert as_yaml == as_json
    names = run("ls", "-o", "name", "-n", "shop", kubeconfig=cluster.kubeconfig_path).stdout
    assert names.splitlines() == [t["path"] for t in as_json["targets"]]
    wide = run("ls", "-o", "wide", "-n", "shop", kubeconfig=cluster.kubeconfig_path)
    assert wide.stdout.splitlines()[0].split()[0] == "NAMESPACE"


@pytest.mark.slow
def test_kubeconfig_and_context_flags(cluster: SimCluster, tmp_path: Path) -> None:
    data = yaml.safe_load(cluster.kubeconfig_path.read_text())
    ctx = data["contexts"][0]
    data["contexts"].append(
        {"name": "shop-ctx", "context": {**ctx["context"], "namespace": "shop"}}
    )
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(data))
    # --kubeconfig beats KUBECONFIG (which points nowhere here).
    done = run("ls", "-o", "json", "--kubeconfig", str(path))
    assert json.loads(done.stdout)["namespace"] == "default"
    done = run("ls", "-o", "json", "--kubeconfig", str(path), "--context", "shop-ctx")
    assert json.loads(done.stdout)["namespace"] == "shop"
    done = run("ls", "--kubeconfig", str(path), "--context", "missing")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[0] == "error: context `missing` not found in the kubeconfig"
    assert done.stderr.splitlines()[1].startswith("hint: ")


def test_errors_go_to_stderr_with_a_hint(cluster: SimCluster, tmp_path: Path) -> None:
    done = run("ls", "-n", "nope", kubeconfig=cluster.kubeconfig_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        'error: namespace "nope" not found',
        "hint: did you mean shop?",
    ]
    broken = tmp_path / "kubeconfig"
    broken.write_text("apiVersion: v1\nclusters:\n  - name: [\n")
    done = run("ls", kubeconfig=broken)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"error: the kubeconfig {broken}:4:")
    assert len(done.stderr.splitlines()) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"target": {"namespace": "shop"}, "feture": {}}', "unknown key `feture`"),
        ('{"target": {"namespace": "shop"},}', "line 1"),
        ("target:\n  namespace: [shop\n", "line"),
    ],
    ids=["typo", "json-syntax", "yaml-syntax"],
)
def test_a_broken_config_is_an_error_not_ignored(
    cluster: SimCluster, tmp_path: Path, text: str, expected: str
) -> None:
    cfg = tmp_path / ("mirrord.yaml" if text.startswith("target:") else "mirrord.json")
    cfg.write_text(text)
    done = run("ls", "-f", str(cfg), kubeconfig=cluster.kubeconfig_path)
    assert done.returncode == 1, done.stdout
    assert done.stderr.startswith(f"error: the config file {cfg} is not valid")
    assert expected in done.stderr


def test_version_and_help_for_every_option() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"mirrord-ide {__version__}"
    parser = build_parser()
    missing = []
    for sub_action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        assert isinstance(sub_action, argparse._SubParsersAction)
        for name, sub in sub_action.choices.items():
            for action in sub._actions:
                if not action.help and not isinstance(action, argparse._HelpAction):
                    missing.append(f"{name} {action.dest}")
    assert missing == []


def test_demo_cluster_port_in_use_is_said() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = run("demo-cluster", "--port", str(port))
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "unreachable" not in done.stdout + done.stderr
