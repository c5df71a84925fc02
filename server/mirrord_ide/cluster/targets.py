"""Which pods and workloads can be targeted, and why not (pure).

Follows what `mirrord ls` lists (one entry per non-sidecar container, our own
agents hidden, `/container/<c>` only when there is a choice) but also keeps
what `ls` drops, marked `available: false` with a reason, so the picker can
show why a pod cannot be picked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from mirrord_ide.cluster.kinds import OPERATOR_KINDS, TARGET_KIND_ORDER
from mirrord_ide.cluster.records import PodRecord, WorkloadRecord

# Containers injected by meshes and agents; mirrord never targets them.
SIDECARS = frozenset(
    {
        "istio-proxy",
        "istio-init",
        "linkerd-proxy",
        "linkerd-init",
        "kuma-sidecar",
        "kuma-init",
        "vault-agent",
        "vault-agent-init",
        "queue-proxy",
        "traffic-agent",
    }
)
KIND_ORDER = TARGET_KIND_ORDER
KIND_RANK = {kind: i for i, kind in enumerate(KIND_ORDER)}
NEEDS_OPERATOR = "needs the mirrord operator"
ENV_OPERATOR = "MIRRORD_OPERATOR_ENABLE"
# What mirrord accepts with `feature.copy_target` (its `compatible_target_types`).
COPY_TARGET_KINDS = frozenset({"deployment", "statefulset", "replicaset", "job", "cronjob", "pod"})


# Not frozen: a frozen dataclass takes five times as long to construct, and a big
# namespace makes tens of thousands of these per listing. Treat them as read-only.
@dataclass(slots=True)
class Target:
    path: str
    kind: str
    name: str
    namespace: str
    container: str | None
    available: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "container": self.container,
            "available": self.available,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        return out


def operator_from_env(env: Mapping[str, str]) -> bool | None:
    """`MIRRORD_OPERATOR_ENABLE`, which mirrord reads before the config file's
    `operator` (mirrord/config/src/lib.rs); None when unset or not a boolean."""
    value = env.get(ENV_OPERATOR, "").strip().lower()
    return {"true": True, "false": False}.get(value)


def _operator_excluded(operator: Any) -> dict[str, str]:
    """Kinds only the operator can target, unless the config turns it on
    (mirrord's `requires_operator`, see `cluster/kinds.py`)."""
    if operator is True:
        return {}
    why = NEEDS_OPERATOR + (
        " (`operator` is false)" if operator is False else "; set `operator: true` to use it"
    )
    return dict.fromkeys(sorted(OPERATOR_KINDS), why)


@dataclass(slots=True, frozen=True)
class TargetRules:
    """Kinds the config rules out, each with the reason shown to the user."""

    excluded: Mapping[str, str]
    targetless_reason: str | None = None
    copy_target: bool = False

    @staticmethod
    def none() -> TargetRules:
        """No config: the operator is not turned on, so its kinds are ruled out."""
        return TargetRules(excluded=_operator_excluded(None))

    @staticmethod
    def from_config(config: Any, env: Mapping[str, str] | None = None) -> TargetRules:
        """Rules from a mirrord config: a raw dict (as parsed) or a model object.
        `env` may turn the operator on or off (`MIRRORD_OPERATOR_ENABLE`)."""
        copy = _get(_get(config, "feature"), "copy_target")
        copy_on = bool(copy) if isinstance(copy, bool) else copy is not None and copy is not False
        if copy_on and not isinstance(copy, bool):
            enabled = _get(copy, "enabled")
            copy_on = enabled is not False
        scale_down = copy_on and _get(copy, "scale_down") is True
        operator = _get(config, "operator")
        from_env = operator_from_env(env or {})
        if from_env is not None:
            operator = from_env
        excluded: dict[str, str] = {}
        targetless_reason = None
        if copy_on:
            why = "not compatible with feature.copy_target"
            for kind in KIND_ORDER:
                if kind not in COPY_TARGET_KINDS:
                    excluded[kind] = why
            if scale_down:
                excluded["pod"] = "not compatible with feature.copy_target.scale_down"
            targetless_reason = why
        for kind, why in _operator_excluded(operator).items():
            excluded.setdefault(kind, why)
        return TargetRules(
            excluded=excluded, targetless_reason=targetless_reason, copy_target=copy_on
        )


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def is_own_agent(labels: Mapping[str, str]) -> bool:
    return labels.get("app") == "mirrord" or "operator.metalbear.co/owner" in labels


def targetable_containers(containers: Iterable[str]) -> list[str]:
    return [c for c in containers if c not in SIDECARS]


def make_path(kind: str, name: str, container: str | None) -> str:
    return f"{kind}/{name}/container/{container}" if container else f"{kind}/{name}"


@dataclass(frozen=True, slots=True)
class PodProblem:
    """Why a pod's container cannot be targeted: a short reason for lists (the
    picker, `ls`) and the same fact as a sentence about the pod (launch errors)."""

    reason: str  # e.g. "CrashLoopBackOff", "terminating", "Pending"
    sentence: str  # completes "pod `x` in namespace `y` ...", e.g. "is being deleted"


def pod_problem(pod: PodRecord, container: str) -> PodProblem | None:
    """The one targetability rule for discovery and launch: the pod is running,
    not being deleted, scheduled on a node, and `container` is ready with an id
    (mirrord's open-source path needs all of these to attach its agent)."""
    if pod.deletion:
        return PodProblem("terminating", "is being deleted")
    status = pod.status_of(container)
    waiting = status.waiting_reason if status is not None else None
    terminated = status.terminated_reason if status is not None else None
    phase = pod.phase or "Unknown"
    if phase != "Running":
        if phase == "Succeeded":
            reason = "Completed"
        elif phase == "Failed":
            reason = terminated or "Failed"
        else:
            # CrashLoopBackOff, ImagePullBackOff, ContainerCreating... say more than "Pending".
            reason = waiting or phase
        return PodProblem(reason, f"is not in 'Running' phase (phase: {phase})")
    if not pod.node:
        return PodProblem("not scheduled", "is not scheduled on a node")
    if status is None:
        return PodProblem("container not ready", f"reports no status for container `{container}`")
    if not status.ready:
        why = waiting or terminated
        return PodProblem(
            why or "container not ready",
            f"has container `{container}` not ready" + (f" ({why})" if why else ""),
        )
    if not status.container_id:
        return PodProblem("starting", f"has no container id for `{container}` yet")
    return None


def _workload_unavailable_reason(w: WorkloadRecord) -> str | None:
    if w.kind in ("deployment", "rollout"):
        if not w.available:
            return "no available replicas"
    elif w.kind == "statefulset":
        if not w.available:
            return "no ready replicas"
    elif w.kind == "job":
        if w.finished == "Complete":
            return "Completed"
        if w.finished == "Failed":
            return "Failed"
    elif w.kind == "cronjob" and w.suspended:
        return "suspended"
    return None


def pod_targets(pod: PodRecord, rules: TargetRules) -> list[Target]:
    if is_own_agent(pod.labels):
        return []
    containers = targetable_containers(pod.containers)
    several = len(containers) > 1
    excluded = rules.excluded.get("pod")
    out = []
    for container in containers:
        if excluded:
            reason: str | None = excluded
        elif rules.copy_target:
            # A copy is made from the pod's spec, so its current state does not matter.
            reason = "terminating" if pod.deletion else None
        else:
            problem = pod_problem(pod, container)
            reason = None if problem is None else problem.reason
        path = make_path("pod", pod.name, container if several else None)
        out.append(Target(path, "pod", pod.name, pod.namespace, container, reason is None, reason))
    return out


def workload_targets(w: WorkloadRecord, rules: TargetRules) -> list[Target]:
    if is_own_agent(w.labels) or w.kind not in KIND_RANK:
        return []
    containers = targetable_containers(w.containers)
    several = len(containers) > 1
    reason = rules.excluded.get(w.kind) or _workload_unavailable_reason(w)
    if not containers:
        # Without a template of its own (e.g. a rollout's workloadRef), list it once.
        return [
            Target(
                make_path(w.kind, w.name, None),
                w.kind,
                w.name,
                w.namespace,
                None,
                reason is None,
                reason,
            )
        ]
    return [
        Target(
            path=make_path(w.kind, w.name, c if several else None),
            kind=w.kind,
            name=w.name,
            namespace=w.namespace,
            container=c,
            available=reason is None,
            reason=reason,
        )
        for c in containers
    ]


_BY_NAME = attrgetter("name", "namespace")


def sort_key(target: Target) -> tuple[int, str, str]:
    return (KIND_RANK.get(target.kind, len(KIND_RANK)), target.name, target.namespace)


def build_targets(
    pods: Iterable[PodRecord],
    workloads: Iterable[WorkloadRecord],
    rules: TargetRules | None = None,
) -> list[Target]:
    """Every target in contract order: by kind, then name (containers in spec order)."""
    rules = rules or TargetRules.none()
    by_kind: dict[str, list[Target]] = {}
    for w in workloads:
        by_kind.setdefault(w.kind, []).extend(workload_targets(w, rules))
    by_kind["pod"] = [t for p in pods for t in pod_targets(p, rules)]
    out: list[Target] = []
    for kind in KIND_ORDER:
        found = by_kind.get(kind)
        if found:
            # Stable: each pod's or workload's containers stay in spec order.
            found.sort(key=_BY_NAME)
            out.extend(found)
    return out
