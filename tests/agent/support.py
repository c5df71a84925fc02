"""A simulated cluster seeded for agent launch tests, and helpers around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.sessions import SessionManager
from mirrord_ide.cluster.client import ClusterClient
from mirrord_ide.cluster.kubeconfig import KubeSettings
from mirrord_simcluster.testing import SimCluster
from mirrord_simcluster.testing import agent_objects as agent_objects
from mirrord_simcluster.testing import wait_no_agents as wait_no_agents

SCHEDULE_DELAY = 0.05

SEED: dict[str, Any] = {
    "options": {"schedule_delay": SCHEDULE_DELAY},
    "default_user": "admin",
    "users": [
        {"name": "admin", "admin": True},
        {
            "name": "viewer",
            "rules": [
                {
                    "verbs": ["get", "list", "watch"],
                    "resources": ["*"],
                }
            ],
        },
        {
            # Everything a launch needs except reading secrets.
            "name": "nosecrets",
            "rules": [
                {
                    "verbs": ["*"],
                    "resources": [
                        "namespaces",
                        "nodes",
                        "pods",
                        "pods/log",
                        "pods/portforward",
                        "deployments",
                        "replicasets",
                        "jobs",
                        "configmaps",
                    ],
                }
            ],
        },
    ],
    "nodes": [
        {"name": "node-1", "labels": {"kubernetes.io/hostname": "node-1"}},
        {"name": "node-2", "labels": {"kubernetes.io/hostname": "node-2"}},
    ],
    "namespaces": [
        {"name": "agents"},
        {
            "name": "shop",
            "configmaps": [
                {"name": "shop-config", "data": {"DB_HOST": "postgres", "DB_PORT": "5432"}},
                {"name": "cart-settings", "data": {"CART_TTL": "30m"}},
            ],
            "secrets": [
                {"name": "shop-db", "data": {"DB_PASSWORD": "s3cr3t"}},
                {"name": "stripe", "data": {"STRIPE_KEY": "sk_test"}},
            ],
            "deployments": [
                {
                    "name": "api",
                    "replicas": 2,
                    "sidecars": ["istio"],
                    "containers": [
                        {
                            "name": "api",
                            "image": "ghcr.io/acme/shop-api:1.0.0",
                            "env": {
                                "LOG_LEVEL": "info",
                                "DB_HOST": {"configMap": "shop-config/DB_HOST"},
                                "DB_PASSWORD": {"secret": "shop-db/DB_PASSWORD"},
                            },
                            "envFrom": [{"configMap": "cart-settings"}, {"secret": "stripe"}],
                        }
                    ],
                },
                {
                    "name": "broken",
                    "replicas": 2,
                    "ready": 0,
                    "containers": [{"name": "app", "image": "ghcr.io/acme/broken:1"}],
                },
                {
                    "name": "empty",
                    "replicas": 0,
                    "containers": [{"name": "app", "image": "ghcr.io/acme/empty:1"}],
                },
            ],
            "statefulsets": [
                {
                    "name": "db",
                    "replicas": 1,
                    "containers": [{"name": "postgres", "image": "postgres:16"}],
                }
            ],
            "rollouts": [
                {
                    "name": "search",
                    "replicas": 1,
                    "containers": [{"name": "search", "image": "ghcr.io/acme/search:1"}],
                }
            ],
            "pods": [
                {
                    "name": "solo",
                    "containers": [
                        {"name": "app", "image": "ghcr.io/acme/solo:1", "env": {"MODE": "solo"}},
                        {"name": "worker", "image": "ghcr.io/acme/worker:1"},
                    ],
                    "annotations": {"kubectl.kubernetes.io/default-container": "worker"},
                    "node": "node-2",
                },
                {
                    "name": "waiting",
                    "state": "pending",
                    "containers": [{"name": "app", "image": "ghcr.io/acme/solo:1"}],
                },
            ],
        },
    ],
}


def make_kube(cluster: SimCluster, user: str | None = None) -> AgentKube:
    path = cluster.kubeconfig_for(user) if user else cluster.kubeconfig_path
    client = ClusterClient.from_settings(KubeSettings(kubeconfig=str(path)))
    return AgentKube(client)


def manager_for(kube: AgentKube, **kwargs: Any) -> SessionManager:
    async def factory() -> AgentKube:
        return kube

    return SessionManager(factory, **kwargs)


HOLDER = Path(__file__).with_name("agent_holder.py")


def spawn_holder(cluster: SimCluster) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(
        [sys.executable, str(HOLDER), str(cluster.kubeconfig_path), "shop"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        proc.wait()
        raise AssertionError("the holder process exited before starting its session")
    return proc, json.loads(line)
