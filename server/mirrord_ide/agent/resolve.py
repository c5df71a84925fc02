"""Target resolution: which pod, container, container id, runtime and node an
agent attaches to. Pure functions over the API's raw JSON objects; a pod is
read into the record target discovery uses and judged by the same rule
(`cluster.records.PodRecord`, `cluster.targets.pod_problem`).

Rules follow mirrord's open-source launch path: a pod target uses the named
container, else the `kubectl.kubernetes.io/default-container` annotation, else
the first container that is not a known sidecar; a workload (deployment,
rollout, statefulset) uses the first pod in API order that is ready to be
targeted. Container ids come from `status.containerStatuses[].containerID`
(`<runtime>://<id>`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirrord_ide.cluster.records import PodRecord, decode_pod
from mirrord_ide.cluster.targets import SIDECARS, pod_problem
from mirrord_ide.errors import Conflict, NotFound

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

# Mesh and platform sidecars are never the user's application: one list for
# discovery and launch.
SIDECAR_NAMES = SIDECARS

RUNTIMES = ("docker", "containerd", "cri-o")

# Kinds whose pods are found through `spec.selector.matchLabels`.
WORKLOAD_KINDS = ("deployment", "rollout", "statefulset")


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """The concrete pod and container an agent attaches to."""

    path: str  # canonical target path as requested (e.g. `deployment/web`)
    namespace: str
    pod: str
    container: str
    container_id: str
    runtime: str
    node: str
    pod_ips: tuple[str, ...] = ()
    # The pod object, kept for environment resolution (spec.containers[].env).
    pod_object: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, Mapping) else {}


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    value = obj.get("status")
    return value if isinstance(value, Mapping) else {}


def _container_statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statuses = _status(pod).get("containerStatuses") or []
    return [s for s in statuses if isinstance(s, Mapping)]


def _spec_container_names(pod: Mapping[str, Any]) -> list[str]:
    spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    return [
        str(c.get("name"))
        for c in spec.get("containers") or []
        if isinstance(c, Mapping) and c.get("name")
    ]


def pod_name(pod: Mapping[str, Any]) -> str:
    return str(_meta(pod).get("name") or "")


def choose_container(pod: Mapping[str, Any], wanted: str | None) -> str:
    """The container to target in `pod`, by mirrord's rules.

    Names come from `containerStatuses` (the order the kubelet reports), else
    from the spec when the pod has no statuses yet.
    """
    names = [str(s.get("name")) for s in _container_statuses(pod) if s.get("name")]
    if not names:
        names = _spec_container_names(pod)
    kind_name = f"pod/{pod_name(pod)}"
    if wanted is not None:
        if wanted in names:
            return wanted
        listing = ", ".join(names) or "none"
        raise NotFound(
            f"target container `{wanted}` not found in {kind_name} (containers: {listing})",
            hint="fix the `/container/<name>` part of the target path",
        )
    if not names:
        raise Conflict(
            f"{kind_name} has no containers to target",
            hint="check the pod with `kubectl describe`",
        )
    annotations = _meta(pod).get("annotations") or {}
    default = (
        annotations.get(DEFAULT_CONTAINER_ANNOTATION) if isinstance(annotations, Mapping) else None
    )
    if isinstance(default, str) and default in names:
        return default
    for name in names:
        if name not in SIDECAR_NAMES:
            return name
    return names[0]


def parse_container_id(raw: str) -> tuple[str, str]:
    """Split `containerd://abc…` into (runtime, id); raises Conflict when unknown."""
    runtime, sep, cid = raw.partition("://")
    if not sep or not cid or runtime not in RUNTIMES:
        raise Conflict(
            f"unsupported container id `{raw}`",
            hint="mirrord's agent supports the docker, containerd and cri-o runtimes",
        )
    return runtime, cid


def _record(pod: Mapping[str, Any]) -> PodRecord:
    record = decode_pod(dict(pod))
    if record is None:
        raise Conflict(
            "the target pod object has no name", hint="check it with `kubectl get pod -o yaml`"
        )
    return record


def resolve_pod(pod: Mapping[str, Any], wanted: str | None, *, path: str) -> ResolvedTarget:
    """Resolve a pod target; raises Conflict when the pod cannot be targeted now."""
    container = choose_container(pod, wanted)
    record = _record(pod)
    name, namespace = record.name, record.namespace
    # The rule target discovery applies too: one answer to "can this pod be targeted".
    problem = pod_problem(record, container)
    status = record.status_of(container)
    if problem is not None or status is None or not status.container_id or not record.node:
        raise Conflict(
            f"pod `{name}` in namespace `{namespace}` "
            + (problem.sentence if problem else "is not ready to be targeted"),
            hint=f"check it with `kubectl describe pod {name} -n {namespace}`",
        )
    runtime, cid = parse_container_id(status.container_id)
    return ResolvedTarget(
        path=path,
        namespace=namespace,
        pod=name,
        container=container,
        container_id=cid,
        runtime=runtime,
        node=record.node,
        pod_ips=record.pod_ips,
        pod_object=pod,
    )


def selector_of(workload: Mapping[str, Any], kind: str) -> dict[str, str]:
    """`spec.selector.matchLabels` of a workload (matchExpressions are ignored,
    as mirrord does). Raises Conflict when there is none."""
    spec = workload.get("spec") if isinstance(workload.get("spec"), Mapping) else {}
    assert isinstance(spec, Mapping)
    selector = spec.get("selector")
    labels = selector.get("matchLabels") if isinstance(selector, Mapping) else None
    if not isinstance(labels, Mapping) or not labels:
        name = _meta(workload).get("name")
        raise Conflict(
            f"{kind} `{name}` has no `spec.selector.matchLabels` to find its pods",
            hint="target one of its pods directly with `pod/<name>`",
        )
    return {str(k): str(v) for k, v in labels.items()}


def label_selector_string(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def resolve_workload(
    kind: str,
    name: str,
    namespace: str,
    pods: Sequence[Mapping[str, Any]],
    wanted: str | None,
    *,
    path: str,
) -> ResolvedTarget:
    """The first pod (API order) that can be targeted; clear errors otherwise."""
    what = f"{kind} `{name}` in namespace `{namespace}`"
    if not pods:
        raise NotFound(
            f"no pods matching the labels of {what} were found",
            hint=f"scale it up or check `kubectl get pods -n {namespace}`",
        )
    reasons: list[str] = []
    for pod in pods:
        try:
            return resolve_pod(pod, wanted, path=path)
        except NotFound:
            # A missing named container is the same on every replica.
            raise
        except Conflict as error:
            reasons.append(error.message)
    detail = "; ".join(reasons[:3])
    raise Conflict(
        f"no pod of {what} is ready to be targeted ({detail})",
        hint=f"wait for a replica to become ready or check `kubectl get pods -n {namespace}`",
    )
