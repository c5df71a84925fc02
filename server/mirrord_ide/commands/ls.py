"""`mirrord-ide ls`: print the target list as JSON (the shape of `mirrord/listTargets`).

On failure: exit code 1 and one line `{"error": {"kind", "message", "hint"?}}`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import orjson

from mirrord_ide.errors import MirrordError

LS_TIMEOUT = 30.0


async def list_targets_json(
    namespace: str | None, config: str | None, all_namespaces: bool, timeout: float = LS_TIMEOUT
) -> dict[str, Any]:
    from mirrord_ide.cluster.config_input import DiscoveryConfig, load_config_file
    from mirrord_ide.cluster.kubeconfig import settings_for_config
    from mirrord_ide.cluster.service import ClusterService
    from mirrord_ide.picker import choose_namespace

    cfg = load_config_file(config) if config else DiscoveryConfig()
    settings = settings_for_config(cfg.value)
    service = ClusterService(settings, timeout=timeout)
    try:
        # -n wins, then the env, then the config, then the kube context's namespace.
        current = await service.current_namespace()
        ns = choose_namespace(namespace, os.environ, cfg.namespace, current)
        listing = await service.list_targets(ns, all_namespaces=all_namespaces, rules=cfg.rules)
        return listing.to_json()
    finally:
        service.close()


def run_ls(namespace: str | None, config: str | None, all_namespaces: bool) -> int:
    try:
        result = asyncio.run(list_targets_json(namespace, config, all_namespaces))
    except MirrordError as error:
        sys.stdout.write(orjson.dumps({"error": error.to_data()}).decode() + "\n")
        return 1
    except KeyboardInterrupt:
        return 130
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0
