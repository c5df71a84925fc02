"""A simulated cluster for the reliability tests: a shop namespace whose
workloads read a secret, an agents namespace, distinctive credentials to search
for, and helpers to run the real server against it."""

from __future__ import annotations

import asyncio
import base64
import copy
import time
from pathlib import Path
from typing import Any

import yaml

from mirrord_simcluster import testing
from mirrord_simcluster.testing import SimCluster
from mirrord_simcluster.testing import agent_objects as agent_objects
from mirrord_simcluster.tls import make_server_cert
from support.cluster import NODES, container, seed, shop_namespace, workload
from support.rpc import RawClient, server_env, spawn_initialized

ADMIN_TOKEN = "admin-tok-Zq81xPVw3LmT6rJ9"
SECRET_VALUE = "s3cr3t-Pw-K7hQ2vN8mX4"
STRIPE_VALUE = "sk_live_Rb5Tq0Lw2Yz8Nd6"
TARGET = "deployment/api/container/api"

# What the product needs, derived from the code (see docs/security.md):
# discovery lists and watches workloads; launch reads the target, creates the
# agent Job, waits for its pod, forwards a port (the agent reads the env).
RULES: dict[str, dict[str, Any]] = {
    # Discovery: the picker's namespace list, the target catalog (list + watch).
    "list namespaces": {"verbs": ["list"], "resources": ["namespaces"]},
    "get namespaces": {"verbs": ["get"], "resources": ["namespaces"]},
    "read pods": {"verbs": ["get", "list", "watch"], "resources": ["pods"], "namespaces": ["shop"]},
    "read deployments": {
        "verbs": ["get", "list", "watch"],
        "resources": ["deployments"],
        "namespaces": ["shop"],
    },
    "read statefulsets": {
        "verbs": ["get", "list", "watch"],
        "resources": ["statefulsets"],
        "namespaces": ["shop"],
    },
    "read rollouts": {
        "verbs": ["get", "list", "watch"],
        "resources": ["rollouts"],
        "namespaces": ["shop"],
    },
    "read jobs": {"verbs": ["get", "list", "watch"], "resources": ["jobs"], "namespaces": ["shop"]},
    "read cronjobs": {
        "verbs": ["get", "list", "watch"],
        "resources": ["cronjobs"],
        "namespaces": ["shop"],
    },
    # Launch: the agent Job, its node, logs, port-forward.
    "create jobs": {"verbs": ["create", "delete"], "resources": ["jobs"], "namespaces": ["shop"]},
    "get pod logs": {"verbs": ["get"], "resources": ["pods/log"], "namespaces": ["shop"]},
    "port-forward": {
        "verbs": ["get", "create"],
        "resources": ["pods/portforward"],
        "namespaces": ["shop"],
    },
    "get nodes": {"verbs": ["get"], "resources": ["nodes"]},
    # Start-up: agents left by a server that was killed, in every namespace.
    "list jobs everywhere": {"verbs": ["list"], "resources": ["jobs"]},
}
MINIMAL_RULES = list(RULES.values())

SEED = seed(
    {"name": "agents"},
    {"name": "default"},
    shop_namespace(
        SECRET_VALUE,
        STRIPE_VALUE,
        deployments=[workload("web", "ghcr.io/acme/web:2")],
        pods=[{"name": "solo", "containers": [container("app", "ghcr.io/acme/solo:1")]}],
    ),
    users=[
        {"name": "admin", "token": ADMIN_TOKEN, "admin": True},
        {"name": "minimal", "token": "minimal-tok-Hd73kQ", "rules": MINIMAL_RULES},
        {"name": "expired", "token": "expired-tok-Vn28cX", "expired": True, "admin": True},
    ],
    nodes=NODES,
    schedule_delay=0.05,
)


def seed_with(**users: list[dict[str, Any]]) -> dict[str, Any]:
    """The seed with extra users given by their rules."""
    seed = copy.deepcopy(SEED)
    for name, rules in users.items():
        seed["users"].append({"name": name, "token": f"{name}-tok-Xy41", "rules": rules})
    return seed


def client_key_kubeconfig(cluster: SimCluster, path: Path) -> tuple[Path, bytes]:
    """The admin kubeconfig with a client certificate and key next to the token
    (the simulated cluster authenticates by token; the key is there to be kept secret)."""
    pair = make_server_cert(("client",))
    data = yaml.safe_load(cluster.kubeconfig_path.read_text())
    user = data["users"][0]["user"]
    user["client-certificate-data"] = base64.b64encode(pair.cert_pem).decode()
    user["client-key-data"] = base64.b64encode(pair.key_pem).decode()
    path.write_text(yaml.safe_dump(data))
    path.chmod(0o600)
    return path, pair.key_pem


async def wait_no_agents(cluster: SimCluster, timeout: float = 5.0) -> list[str]:
    return await testing.wait_no_agents(cluster, timeout)


async def wait_quiet(cluster: SimCluster, quiet: float = 0.5, timeout: float = 10.0) -> None:
    """Until the cluster has seen no new request for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    seen = len(cluster.requests)
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now = len(cluster.requests)
        if now != seen:
            seen, calm_since = now, time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return


async def start_server(kubeconfig: Path, root: Path | None = None) -> RawClient:
    return await spawn_initialized(server_env(kubeconfig), root)


def leftover_checks(cluster: SimCluster) -> int:
    """How many times a server has looked for agents left by exited servers (each
    server does so once, shortly after start-up)."""
    from urllib.parse import unquote

    from mirrord_ide.agent.spec import SERVER_LABEL

    return sum(
        1
        for r in cluster.requests.records()
        if r.method == "GET" and r.path.endswith("/jobs") and SERVER_LABEL in unquote(r.query)
    )


async def leftover_checks_done(cluster: SimCluster, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while (seen := leftover_checks(cluster)) < count:
        assert time.monotonic() < deadline, f"{seen} of {count} start-up checks seen"
        await asyncio.sleep(0.05)
