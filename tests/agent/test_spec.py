"""The agent Job manifest and its naming rules."""

from __future__ import annotations

import random
import re

import pytest

from mirrord_ide.agent.resolve import ResolvedTarget
from mirrord_ide.agent.settings import agent_settings
from mirrord_ide.agent.spec import (
    AgentRequest,
    Owner,
    agent_name,
    build_agent_job,
    choose_agent_namespace,
)
from mirrord_ide.errors import InvalidConfig

OWNER = Owner(server_id="srv1", pid=42, host="h", boot_id="b", start_time="7")
TARGET = ResolvedTarget(
    path="pod/web",
    namespace="shop",
    pod="web",
    container="app",
    container_id="abc123",
    runtime="containerd",
    node="node-a",
    pod_ips=("10.0.0.1", "fd00::1"),
)


def request(target: ResolvedTarget | None = TARGET, **kw: object) -> AgentRequest:
    values: dict[str, object] = {
        "name": "mirrord-agent-abcde12345",
        "namespace": "shop",
        "port": 40000,
        "session_id": "s-1",
        "owner": OWNER,
        "target": target,
    }
    values.update(kw)
    return AgentRequest(**values)  # type: ignore[arg-type]


def test_agent_name_shape() -> None:
    rng = random.Random(1)
    names = {agent_name(rng) for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"mirrord-agent-[a-z0-9]{10}", n) for n in names)


def test_targeted_job_matches_mirrord() -> None:
    job = build_agent_job(request(), agent_settings(None), random.Random(0))
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
    assert job["metadata"]["name"] == "mirrord-agent-abcde12345"
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["ttlSecondsAfterFinished"] == 1
    labels = job["metadata"]["labels"]
    assert labels["app"] == "mirrord"
    assert labels["mirrord-ide/session"] == "s-1"
    assert labels["mirrord-ide/server"] == "srv1"
    assert labels["kuma.io/sidecar-injection"] == "disabled"
    assert job["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false"
    assert Owner.from_annotation(job["metadata"]["annotations"]["mirrord-ide/owner"]) == OWNER
    template = job["spec"]["template"]
    assert template["metadata"]["labels"]["app"] == "mirrord"
    assert template["metadata"]["annotations"]["linkerd.io/inject"] == "disabled"
    pod = template["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["hostPID"] is True
    assert pod["nodeName"] == "node-a"
    assert pod["tolerations"] == [{"operator": "Exists"}]
    assert {v["hostPath"]["path"] for v in pod["volumes"]} == {"/run", "/var"}
    (container,) = pod["containers"]
    assert container["name"] == "mirrord-agent-abcde12345"
    assert container["image"] == "ghcr.io/metalbear-co/mirrord:3.250.0"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["command"] == ["./mirrord-agent"]
    assert container["args"] == [
        "-l", "40000", "-t", "30", "targeted",
        "--container-id", "abc123", "--container-runtime", "containerd",
    ]  # fmt: skip
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/host/run", "/host/var"}
    sc = container["securityContext"]
    assert sc["privileged"] is False
    assert sc["capabilities"]["add"] == ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN"]
    assert 3000 <= sc["runAsGroup"] <= 65535
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["RUST_LOG"] == "info"
    assert env["MIRRORD_AGENT_POD_IPS"] == "10.0.0.1,fd00::1"
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "100Mi"}


def test_node_selector_when_hostname_known() -> None:
    job = build_agent_job(request(node_hostname="node-a.internal"), agent_settings(None))
    pod = job["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/hostname": "node-a.internal"}
    assert "nodeName" not in pod


def test_targetless_has_no_privileges_or_pinning() -> None:
    job = build_agent_job(request(target=None), agent_settings(None))
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["-l", "40000", "-t", "30", "targetless"]
    for key in ("hostPID", "nodeName", "nodeSelector", "tolerations", "volumes"):
        assert key not in pod
    assert "securityContext" not in container and "volumeMounts" not in container


def test_config_drives_the_manifest() -> None:
    config = {
        "agent": {
            "image": {"registry": "my.registry/agent", "tag": "9.9"},
            "image_pull_policy": "Always",
            "ttl": 30,
            "communication_timeout": 12,
            "privileged": True,
            "disabled_capabilities": ["SYS_PTRACE"],
            "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "labels": {"team": "a"},
            "annotations": {"note": "x"},
            "log_level": "debug",
            "disable_mesh_sidecar_injection": False,
            "node_selector": {"pool": "b"},
            "service_account": "agent-sa",
        }
    }
    job = build_agent_job(request(), agent_settings(config))
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "my.registry/agent:9.9"
    assert container["imagePullPolicy"] == "Always"
    assert container["args"][:4] == ["-l", "40000", "-t", "12"]
    assert container["securityContext"]["privileged"] is True
    assert container["securityContext"]["capabilities"]["add"] == ["SYS_ADMIN", "NET_ADMIN"]
    assert pod["tolerations"] == [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["nodeSelector"] == {"pool": "b"}
    assert pod["serviceAccountName"] == "agent-sa"
    assert job["spec"]["ttlSecondsAfterFinished"] == 30
    assert job["metadata"]["labels"]["team"] == "a"
    assert job["metadata"]["labels"]["app"] == "mirrord"
    assert "kuma.io/sidecar-injection" not in job["metadata"]["labels"]
    assert job["metadata"]["annotations"]["note"] == "x"
    assert {e["name"]: e["value"] for e in container["env"]}["RUST_LOG"] == "debug"


def test_image_env_override() -> None:
    settings = agent_settings({"agent": {"image": "a:1"}}, {"MIRRORD_AGENT_IMAGE": "b:2"})
    assert settings.image == "b:2"


@pytest.mark.parametrize(
    ("requested", "targetless", "expected"),
    [("agents", False, "agents"), (None, False, "shop"), ("agents", True, "shop")],
)
def test_agent_namespace_rules(requested: str | None, targetless: bool, expected: str) -> None:
    assert (
        choose_agent_namespace(requested=requested, target_namespace="shop", targetless=targetless)
        == expected
    )


@pytest.mark.parametrize("bad", ["Bad_NS", "-x", "x" * 64, ""])
def test_invalid_agent_namespace_rejected(bad: str) -> None:
    with pytest.raises(InvalidConfig, match="not a valid name"):
        choose_agent_namespace(requested=bad or "UPPER", target_namespace="shop", targetless=False)


def test_invalid_label_value_rejected_before_any_call() -> None:
    config = {"agent": {"labels": {"team": "not valid!"}}}
    with pytest.raises(InvalidConfig, match="label `team`"):
        build_agent_job(request(), agent_settings(config))


def test_owner_annotation_round_trip_and_garbage() -> None:
    assert Owner.from_annotation(OWNER.to_annotation()) == OWNER
    assert Owner.from_annotation("not json") is None
    assert Owner.from_annotation('{"pid": 1}') is None
