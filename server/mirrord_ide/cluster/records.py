"""Slim records decoded from raw Kubernetes JSON.

Only what target listing, picking and launching need is kept, so a namespace
of ten thousand pods stays small in memory and decodes fast. Decoders accept
any JSON (missing or mistyped fields become empty values) and never raise on
odd objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)  # read-only by convention, like Target (cheaper to construct)
class ContainerStatus:
    name: str
    ready: bool
    container_id: str | None
    waiting_reason: str | None
    terminated_reason: str | None = None


@dataclass(slots=True, frozen=True)
class OwnerRef:
    kind: str
    name: str
    controller: bool


@dataclass(slots=True)
class PodRecord:
    name: str
    namespace: str
    labels: dict[str, str]
    annotations: dict[str, str]
    phase: str
    deletion: bool  # deletionTimestamp is set
    node: str | None
    containers: tuple[str, ...]  # spec order
    statuses: tuple[ContainerStatus, ...]
    owners: tuple[OwnerRef, ...] = ()
    pod_ips: tuple[str, ...] = ()
    resource_version: str = ""

    def status_of(self, container: str) -> ContainerStatus | None:
        for status in self.statuses:
            if status.name == container:
                return status
        return None


@dataclass(slots=True)
class WorkloadRecord:
    kind: str  # deployment | rollout | statefulset | job | cronjob
    name: str
    namespace: str
    labels: dict[str, str]
    match_labels: dict[str, str]
    containers: tuple[str, ...]  # the pod template's, in spec order
    replicas: int | None
    available: int | None
    # Jobs: finished (Complete/Failed); cronjobs: suspended.
    finished: str | None = None
    suspended: bool = False
    resource_version: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class NamespaceRecord:
    name: str
    phase: str


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strmap(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _names(containers: Any) -> tuple[str, ...]:
    return tuple(
        str(c["name"])
        for c in _list(containers)
        if isinstance(c, dict) and isinstance(c.get("name"), str)
    )


def _status(raw: Any) -> ContainerStatus | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    state = _dict(raw.get("state"))
    waiting = _dict(state.get("waiting"))
    terminated = _dict(state.get("terminated"))
    return ContainerStatus(
        name=raw["name"],
        ready=raw.get("ready") is True,
        container_id=raw.get("containerID") if isinstance(raw.get("containerID"), str) else None,
        waiting_reason=str(waiting["reason"]) if waiting.get("reason") else None,
        terminated_reason=str(terminated.get("reason") or "Terminated") if terminated else None,
    )


def decode_pod(raw: Any) -> PodRecord | None:
    if not isinstance(raw, dict):
        return None
    meta = _dict(raw.get("metadata"))
    spec = _dict(raw.get("spec"))
    status = _dict(raw.get("status"))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None
    statuses = tuple(
        s for s in (_status(x) for x in _list(status.get("containerStatuses"))) if s is not None
    )
    owners = tuple(
        OwnerRef(str(o.get("kind", "")), str(o.get("name", "")), o.get("controller") is True)
        for o in _list(meta.get("ownerReferences"))
        if isinstance(o, dict)
    )
    ips = tuple(
        str(p["ip"]) for p in _list(status.get("podIPs")) if isinstance(p, dict) and p.get("ip")
    )
    if not ips and isinstance(status.get("podIP"), str):
        ips = (status["podIP"],)
    node = spec.get("nodeName")
    return PodRecord(
        name=name,
        namespace=str(meta.get("namespace") or ""),
        labels=_strmap(meta.get("labels")),
        annotations=_strmap(meta.get("annotations")),
        phase=str(status.get("phase") or "Unknown"),
        deletion=bool(meta.get("deletionTimestamp")),
        node=node if isinstance(node, str) else None,
        containers=_names(spec.get("containers")),
        statuses=statuses,
        owners=owners,
        pod_ips=ips,
        resource_version=str(meta.get("resourceVersion") or ""),
    )


def _template_containers(spec: dict[str, Any]) -> tuple[str, ...]:
    template = _dict(spec.get("template"))
    return _names(_dict(template.get("spec")).get("containers"))


def decode_workload(kind: str, raw: Any) -> WorkloadRecord | None:
    """Decode a deployment, rollout, statefulset, job or cronjob."""
    if not isinstance(raw, dict):
        return None
    meta = _dict(raw.get("metadata"))
    spec = _dict(raw.get("spec"))
    status = _dict(raw.get("status"))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return None
    finished: str | None = None
    suspended = False
    if kind == "cronjob":
        job_template = _dict(_dict(spec.get("jobTemplate")).get("spec"))
        containers = _template_containers(job_template)
        match_labels: dict[str, str] = {}
        suspended = spec.get("suspend") is True
    else:
        # A rollout using `workloadRef` has no template of its own: no containers.
        containers = _template_containers(spec)
        match_labels = _strmap(_dict(spec.get("selector")).get("matchLabels"))
    if kind == "job":
        for cond in _list(status.get("conditions")):
            if (
                isinstance(cond, dict)
                and cond.get("status") == "True"
                and cond.get("type")
                in (
                    "Complete",
                    "Failed",
                )
            ):
                finished = str(cond["type"])
    replicas = _int(spec.get("replicas"))
    if kind == "job":
        available = _int(status.get("active"))
    else:
        available = _int(status.get("availableReplicas"))
        if available is None and kind == "statefulset":
            available = _int(status.get("readyReplicas"))
    return WorkloadRecord(
        kind=kind,
        name=name,
        namespace=str(meta.get("namespace") or ""),
        labels=_strmap(meta.get("labels")),
        match_labels=match_labels,
        containers=containers,
        replicas=replicas,
        available=available,
        finished=finished,
        suspended=suspended,
        resource_version=str(meta.get("resourceVersion") or ""),
        annotations=_strmap(meta.get("annotations")),
    )


def decode_namespace(raw: Any) -> NamespaceRecord | None:
    if not isinstance(raw, dict):
        return None
    name = _dict(raw.get("metadata")).get("name")
    if not isinstance(name, str) or not name:
        return None
    return NamespaceRecord(name=name, phase=str(_dict(raw.get("status")).get("phase") or "Active"))
