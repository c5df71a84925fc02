"""One target/namespace resolution: the picker, `startSession`, `listTargets`, the live
checks and `ls` decide the same from the same inputs (request params, the request's
env, the server's env, the config, the kubeconfig)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mirrord_ide.agent.sessions import StartRequest, choose
from mirrord_ide.config.precedence import UNSET, resolve_selection
from mirrord_ide.errors import InvalidConfig
from mirrord_ide.picker import choose_namespace, choose_preselection
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture
from support.rpc import RawClient, ResponseError, server_env

TARGET = "MIRRORD_IMPERSONATED_TARGET"
NAMESPACE = "MIRRORD_TARGET_NAMESPACE"

# Each layer either says nothing or names its own target and namespace.
LAYERS: dict[str, tuple[str, str]] = {
    "request": ("pod/from-request", "ns-request"),
    "request_env": ("pod/from-request-env", "ns-request-env"),
    "server_env": ("pod/from-server-env", "ns-server-env"),
    "config": ("deployment/from-config", "ns-config"),
}


def _cases() -> Iterator[dict[str, bool]]:
    for present in itertools.product([False, True], repeat=len(LAYERS)):
        yield dict(zip(LAYERS, present, strict=True))


@pytest.mark.parametrize(
    "present", list(_cases()), ids=lambda p: "+".join(k for k, v in p.items() if v) or "none"
)
def test_picker_and_start_session_resolve_alike(
    present: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in (TARGET, NAMESPACE, "MIRRORD_AGENT_NAMESPACE"):
        monkeypatch.delenv(key, raising=False)
    request_env: dict[str, str] = {}
    if present["server_env"]:
        monkeypatch.setenv(TARGET, LAYERS["server_env"][0])
        monkeypatch.setenv(NAMESPACE, LAYERS["server_env"][1])
    if present["request_env"]:
        request_env = {TARGET: LAYERS["request_env"][0], NAMESPACE: LAYERS["request_env"][1]}
    config: dict[str, Any] | None = None
    if present["config"]:
        config = {"target": {"path": LAYERS["config"][0], "namespace": LAYERS["config"][1]}}
    request_target = LAYERS["request"][0] if present["request"] else None
    request_namespace = LAYERS["request"][1] if present["request"] else None

    # What `startSession` launches.
    choice = choose(
        StartRequest(
            config=config,
            target=request_target if request_target else UNSET,
            namespace=request_namespace,
            env=request_env,
        ),
        "kube-ns",
    )
    # What the picker offers (it reads the config's canonical target and namespace).
    preselection = choose_preselection(
        request_target, request_env, config["target"]["path"] if config else None
    )
    namespace = choose_namespace(
        request_namespace, request_env, config["target"]["namespace"] if config else None, "kube-ns"
    )

    first = next((layer for layer, on in present.items() if on), None)
    expected_target, expected_namespace = LAYERS[first] if first else (None, "kube-ns")
    assert choice.path == expected_target
    assert choice.namespace == expected_namespace
    assert preselection.choice == choice.path
    assert namespace == choice.namespace
    if first is not None:
        assert preselection.source == {"request_env": "env", "server_env": "env"}.get(first, first)


def test_a_malformed_value_names_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NAMESPACE, "default/../kube-system")
    with pytest.raises(InvalidConfig, match=NAMESPACE):
        resolve_selection()
    # The picker skips it (and says why) instead of offering what a launch would refuse.
    selection = resolve_selection(lenient=True, kube_namespace="dev")
    assert selection.namespace == "dev"
    assert any(NAMESPACE in p for p in selection.problems)
    monkeypatch.delenv(NAMESPACE)
    monkeypatch.setenv(TARGET, "pod/")
    preselection = choose_preselection(None, {}, "deployment/web")
    assert preselection.choice == "deployment/web" and preselection.source == "config"
    assert any(TARGET in p for p in preselection.problems)


def test_validated_config_and_parsed_config_resolve_alike() -> None:
    from mirrord_ide.config.model import MirrordConfig

    raw = {
        "target": {"path": "pod/a/container/c", "namespace": "shop"},
        "agent": {"namespace": "ag"},
    }
    model = MirrordConfig.model_validate(raw)
    a = resolve_selection(config=raw, server_env={})
    b = resolve_selection(config=model, server_env={})
    assert (a.target_path, a.namespace, a.agent_namespace) == (
        b.target_path,
        b.namespace,
        b.agent_namespace,
    )
    assert a.target_path == "pod/a/container/c" and a.agent_namespace == "ag"


# -- end to end: the server's own environment --------------------------------------------


cluster = cluster_fixture(None)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_server_env_drives_the_picker_and_the_launch_alike(cluster: SimCluster) -> None:
    env = server_env(cluster.kubeconfig_path, **{TARGET: "pod/redis-0", NAMESPACE: "shop"})
    client = await RawClient.spawn(env)
    try:
        await client.initialize()
        client.notify(
            "workspace/didChangeConfiguration", {"settings": {"mirrord": {"engine": "builtin"}}}
        )
        picker = await client.request("mirrord/targetPickerItems", {}, timeout=30)
        assert picker["skipDialog"] is True
        assert picker["preselected"] == "pod/redis-0" and picker["preselectedBy"] == "env"
        assert picker["namespace"] == "shop"
        listing = await client.request("mirrord/listTargets", {}, timeout=30)
        assert listing["namespace"] == "shop"
        try:
            session = await client.request(
                "mirrord/startSession", {"workDoneToken": "launch"}, timeout=60
            )
        except ResponseError as error:
            # The launch may fail later on (agent image, handshake): what matters here
            # is what it set out to launch, which its progress reports.
            assert error.kind not in ("invalid-config", "not-found"), error.data
        else:
            assert (session["target"], session["namespace"]) == ("pod/redis-0", "shop")
            await client.request("mirrord/stopSession", {"sessionId": session["sessionId"]}, 30)
        reported = [
            str(n["params"]["value"].get("message", ""))
            for n in client.notifications("$/progress")
            if n["params"].get("token") == "launch"
        ]
        assert any("pod/redis-0" in m for m in reported), reported
        await client.close()
    finally:
        await client.kill()


def test_ls_uses_the_environment_namespace(cluster: SimCluster, tmp_path: Path) -> None:
    config = tmp_path / "mirrord.json"
    config.write_text(json.dumps({"target": {"namespace": "payments"}}))
    env = server_env(cluster.kubeconfig_path, **{NAMESPACE: "shop"})
    done = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "ls", "-o", "json", "-f", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["namespace"] == "shop"
    # -n beats the environment.
    done = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "ls", "-o", "json", "-n", "payments"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(done.stdout)["namespace"] == "payments"
