"""Kubeconfig files pointing at a simulated cluster (loopback, its own CA, bearer tokens)."""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

CLUSTER_NAME = "mirrord-sim"


def kubeconfig_dict(
    url: str, user: str, token: str, namespace: str, ca_pem: bytes | None = None
) -> dict[str, object]:
    context = f"{user}@{CLUSTER_NAME}"
    cluster: dict[str, object] = {"server": url}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER_NAME, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": CLUSTER_NAME, "user": user, "namespace": namespace},
            }
        ],
        "current-context": context,
        "preferences": {},
    }


def write_kubeconfig(
    path: Path, url: str, user: str, token: str, namespace: str, ca_pem: bytes | None = None
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(
        yaml.safe_dump(kubeconfig_dict(url, user, token, namespace, ca_pem), sort_keys=False)
    )
    path.chmod(0o600)
    return path
