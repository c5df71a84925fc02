"""Records decoded from raw JSON and the target list built from them (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from mirrord_ide.cluster.records import decode_pod, decode_workload
from mirrord_ide.cluster.targets import Target, TargetRules, build_targets

pytestmark = pytest.mark.timeout(30)


def pod_json(
    name: str,
    containers: list[str],
    *,
    ns: str = "default",
    phase: str = "Running",
    ready: bool = True,
    labels: dict[str, str] | None = None,
    waiting: dict[str, str] | None = None,
    deleting: bool = False,
    not_ready: tuple[str, ...] = (),
) -> dict[str, Any]:
    waiting = waiting or {}
    statuses = []
    for c in containers:
        state: dict[str, Any] = {"running": {}}
        if c in waiting:
            state = {"waiting": {"reason": waiting[c]}}
        statuses.append(
            {
                "name": c,
                "ready": phase == "Running" and c not in waiting and c not in not_ready,
                "containerID": f"containerd://{name}-{c}",
                "state": state,
            }
        )
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "spec": {
            "nodeName": "node-1",
            "containers": [{"name": c, "image": "x"} for c in containers],
        },
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": statuses,
            "podIPs": [{"ip": "10.0.0.1"}],
        },
    }


def deploy_json(
    name: str, containers: list[str], available: int | None, ns: str = "default"
) -> dict[str, Any]:
    status = {} if available is None else {"availableReplicas": available}
    return {
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {"spec": {"containers": [{"name": c} for c in containers]}},
        },
        "status": status,
    }


def paths(targets: list[Target]) -> list[str]:
    return [t.path for t in targets]


def test_pod_record_keeps_what_targeting_needs() -> None:
    raw = pod_json("web-1", ["app", "istio-proxy"], waiting={"app": "CrashLoopBackOff"})
    raw["metadata"]["ownerReferences"] = [
        {"kind": "ReplicaSet", "name": "web-x", "controller": True}
    ]
    pod = decode_pod(raw)
    assert pod is not None
    assert pod.containers == ("app", "istio-proxy")
    assert pod.node == "node-1"
    assert pod.pod_ips == ("10.0.0.1",)
    assert pod.owners[0].name == "web-x" and pod.owners[0].controller
    status = pod.status_of("app")
    assert status is not None and status.waiting_reason == "CrashLoopBackOff" and not status.ready
    assert pod.status_of("istio-proxy").container_id == "containerd://web-1-istio-proxy"  # type: ignore[union-attr]


@pytest.mark.parametrize("junk", [None, 3, "x", {}, {"metadata": {"name": 5}}, {"metadata": []}])
def test_decoders_ignore_junk(junk: Any) -> None:
    assert decode_pod(junk) is None
    assert decode_workload("deployment", junk) is None


def test_odd_fields_do_not_crash() -> None:
    raw = {
        "metadata": {"name": "p", "labels": ["x"]},
        "spec": {"containers": [{"nope": 1}, "x"]},
        "status": 7,
    }
    pod = decode_pod(raw)
    assert pod is not None and pod.containers == () and pod.phase == "Unknown"


def test_running_pod_one_entry_per_non_sidecar_container() -> None:
    pods = [
        decode_pod(pod_json("multi", ["app", "worker", "istio-proxy", "linkerd-proxy"])),
        decode_pod(pod_json("single", ["app", "istio-proxy"])),
        decode_pod(pod_json("only-sidecars", ["istio-proxy", "vault-agent"])),
    ]
    targets = build_targets([p for p in pods if p], [])
    assert paths(targets) == ["pod/multi/container/app", "pod/multi/container/worker", "pod/single"]
    assert all(t.available and t.reason is None for t in targets)
    assert targets[2].container == "app"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"waiting": {"app": "CrashLoopBackOff"}}, "CrashLoopBackOff"),
        ({"phase": "Pending", "ready": False}, "Pending"),
        (
            {"phase": "Pending", "ready": False, "waiting": {"app": "ImagePullBackOff"}},
            "ImagePullBackOff",
        ),
        ({"phase": "Succeeded", "ready": False}, "Completed"),
        ({"phase": "Failed", "ready": False}, "Failed"),
        ({"deleting": True}, "terminating"),
        ({"not_ready": ("app",), "ready": False}, "container not ready"),
    ],
)
def test_unavailable_pods_carry_a_reason(kwargs: dict[str, Any], reason: str) -> None:
    pod = decode_pod(pod_json("p", ["app"], **kwargs))
    assert pod is not None
    [target] = build_targets([pod], [])
    assert target.available is False
    assert target.reason == reason
    assert target.to_json()["reason"] == reason


def test_own_agents_never_listed() -> None:
    agent = decode_pod(pod_json("mirrord-agent-abc", ["mirrord-agent"], labels={"app": "mirrord"}))
    operator_owned = decode_pod(
        pod_json("copy", ["app"], labels={"operator.metalbear.co/owner": "x"})
    )
    job = decode_workload(
        "job", {"metadata": {"name": "mirrord-agent-abc", "labels": {"app": "mirrord"}}}
    )
    assert build_targets([p for p in (agent, operator_owned) if p], [job] if job else []) == []


def test_workloads_once_per_template_container_and_ordered() -> None:
    workloads = [
        decode_workload(
            "job",
            {
                "metadata": {"name": "a-job"},
                "spec": {"template": {"spec": {"containers": [{"name": "j"}]}}},
            },
        ),
        decode_workload("deployment", deploy_json("zeta", ["app"], 1)),
        decode_workload("deployment", deploy_json("alpha", ["app", "sidecar-log"], 2)),
        decode_workload("deployment", deploy_json("broken", ["app"], 0)),
        decode_workload(
            "cronjob",
            {
                "metadata": {"name": "nightly"},
                "spec": {
                    "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
                },
            },
        ),
        decode_workload(
            "statefulset",
            {
                "metadata": {"name": "db"},
                "spec": {"template": {"spec": {"containers": [{"name": "pg"}]}}},
                "status": {"readyReplicas": 1},
            },
        ),
        decode_workload("rollout", deploy_json("canary", ["app"], 1)),
    ]
    pods = [decode_pod(pod_json("apod", ["app"]))]
    targets = build_targets([p for p in pods if p], [w for w in workloads if w])
    assert paths(targets) == [
        "deployment/alpha/container/app",
        "deployment/alpha/container/sidecar-log",
        "deployment/broken",
        "deployment/zeta",
        "rollout/canary",
        "statefulset/db",
        "cronjob/nightly",
        "job/a-job",
        "pod/apod",
    ]
    broken = next(t for t in targets if t.name == "broken")
    assert not broken.available and broken.reason == "no available replicas"
    assert next(t for t in targets if t.name == "zeta").available


def test_completed_job_is_unavailable() -> None:
    job = decode_workload(
        "job",
        {
            "metadata": {"name": "migrate"},
            "spec": {"template": {"spec": {"containers": [{"name": "m"}]}}},
            "status": {"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1},
        },
    )
    assert job is not None
    [target] = build_targets([], [job], TargetRules.from_config({"operator": True}))
    assert (target.available, target.reason) == (False, "Completed")


def test_copy_target_rules_out_rollouts_and_targetless() -> None:
    rules = TargetRules.from_config({"feature": {"copy_target": True}})
    assert rules.targetless_reason and "copy_target" in rules.targetless_reason
    workloads = [
        decode_workload("rollout", deploy_json("canary", ["app"], 1)),
        decode_workload("deployment", deploy_json("web", ["app"], 1)),
    ]
    # copy_target copies the pod spec: a pod that is not running is still a valid target.
    pods = [decode_pod(pod_json("pending", ["app"], phase="Pending", ready=False))]
    targets = {
        t.path: t for t in build_targets([p for p in pods if p], [w for w in workloads if w], rules)
    }
    assert not targets["rollout/canary"].available
    assert "copy_target" in (targets["rollout/canary"].reason or "")
    assert targets["deployment/web"].available
    assert targets["pod/pending"].available


def test_copy_target_scale_down_rules_out_pods() -> None:
    rules = TargetRules.from_config({"feature": {"copy_target": {"scale_down": True}}})
    pod = decode_pod(pod_json("p", ["app"]))
    assert pod is not None
    [target] = build_targets([pod], [], rules)
    assert not target.available and "scale_down" in (target.reason or "")


def test_operator_false_marks_operator_only_kinds() -> None:
    rules = TargetRules.from_config({"operator": False})
    job = decode_workload(
        "job",
        {
            "metadata": {"name": "j"},
            "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}},
        },
    )
    dep = decode_workload("deployment", deploy_json("web", ["app"], 1))
    targets = {t.kind: t for t in build_targets([], [w for w in (job, dep) if w], rules)}
    assert not targets["job"].available and "operator" in (targets["job"].reason or "")
    assert targets["deployment"].available
    assert TargetRules.from_config({"operator": True}).excluded == {}


@pytest.mark.parametrize("config", [None, {}, {"operator": None}, {"operator": False}])
def test_operator_kinds_need_the_operator_turned_on(config: Any) -> None:
    """mirrord's `requires_operator` kinds are unavailable, with the reason, unless
    the config says `operator: true`; the open-source kinds stay available."""
    workloads = [
        decode_workload(kind, deploy_json(f"w-{kind}", ["app"], 1))
        for kind in ("deployment", "rollout", "statefulset", "job", "cronjob")
    ]
    pods = [decode_pod(pod_json("apod", ["app"]))]
    live = [w for w in workloads if w]
    rules = TargetRules.from_config(config)
    by_kind = {t.kind: t for t in build_targets([p for p in pods if p], live, rules)}
    for kind in ("statefulset", "job", "cronjob"):
        assert not by_kind[kind].available
        assert (by_kind[kind].reason or "").startswith("needs the mirrord operator")
    for kind in ("deployment", "rollout", "pod"):
        assert by_kind[kind].available, by_kind[kind]
    on = {t.kind: t for t in build_targets([], live, TargetRules.from_config({"operator": True}))}
    assert on["job"].available and on["statefulset"].available
    assert TargetRules.none().excluded == TargetRules.from_config(None).excluded


@pytest.mark.parametrize(
    ("config", "env", "offered"),
    [
        (None, {"MIRRORD_OPERATOR_ENABLE": "true"}, True),
        ({"operator": False}, {"MIRRORD_OPERATOR_ENABLE": "TRUE"}, True),
        ({"operator": True}, {"MIRRORD_OPERATOR_ENABLE": "false"}, False),
        ({"operator": True}, {"MIRRORD_OPERATOR_ENABLE": "maybe"}, True),
        ({"operator": True}, {}, True),
    ],
)
def test_the_environment_turns_the_operator_on_or_off(
    config: Any, env: dict[str, str], offered: bool
) -> None:
    """mirrord reads `MIRRORD_OPERATOR_ENABLE` before the file's `operator`."""
    job = decode_workload("job", deploy_json("j", ["c"], 1))
    assert job is not None
    [target] = build_targets([], [job], TargetRules.from_config(config, env))
    assert target.available is offered
