"""Decode a raw list page straight into slim records.

Parsing a page of ten thousand pods into Python dicts only to keep a few fields
costs more than the whole transfer. These schemas name just the fields the
records use; the decoder skips everything else without building it. The
result equals what `records.decode_pod` / `decode_workload` make of the same
JSON; a page that does not fit the schema (a mistyped field, say) gives None,
and the caller decodes it the tolerant way instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from mirrord_ide.cluster.records import (
    ContainerStatus,
    OwnerRef,
    PodRecord,
    WorkloadRecord,
    decode_workload,
)

# Fields typed `Any` hold small values whose type the tolerant decoders check
# themselves; they are checked the same way here.


class _Owner(msgspec.Struct, gc=False):
    kind: Any = ""
    name: Any = ""
    controller: Any = None


class _Meta(msgspec.Struct, gc=False):
    name: Any = None
    namespace: Any = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    deletionTimestamp: Any = None
    ownerReferences: list[_Owner] | None = None
    resourceVersion: Any = None


class _Named(msgspec.Struct, gc=False):
    name: Any = None


class _PodSpec(msgspec.Struct, gc=False):
    nodeName: Any = None
    containers: list[_Named] | None = None


class _Condition(msgspec.Struct, gc=False):
    type: Any = None
    status: Any = None


class _State(msgspec.Struct, gc=False):
    waiting: Any = None
    terminated: Any = None


class _ContainerStatus(msgspec.Struct, gc=False):
    name: Any = None
    ready: Any = None
    containerID: Any = None
    state: _State | None = None


class _PodIP(msgspec.Struct, gc=False):
    ip: Any = None


class _PodStatus(msgspec.Struct, gc=False):
    phase: Any = None
    containerStatuses: list[_ContainerStatus] | None = None
    podIPs: list[_PodIP] | None = None
    podIP: Any = None


class _Pod(msgspec.Struct, gc=False):
    metadata: _Meta | None = None
    spec: _PodSpec | None = None
    status: _PodStatus | None = None


class _ListMeta(msgspec.Struct, gc=False):
    resourceVersion: Any = None
    # Named `continue` on the wire, a keyword in Python.
    next: Any = msgspec.field(default=None, name="continue")


class _PodList(msgspec.Struct, gc=False):
    metadata: _ListMeta | None = None
    items: list[_Pod | None] | None = None


class _Template(msgspec.Struct, gc=False):
    spec: _PodSpec | None = None


class _JobTemplateSpec(msgspec.Struct, gc=False):
    template: _Template | None = None


class _JobTemplate(msgspec.Struct, gc=False):
    spec: _JobTemplateSpec | None = None


class _Selector(msgspec.Struct, gc=False):
    matchLabels: dict[str, str] | None = None


class _WorkloadSpec(msgspec.Struct, gc=False):
    replicas: Any = None
    selector: _Selector | None = None
    template: _Template | None = None
    jobTemplate: _JobTemplate | None = None
    suspend: Any = None


class _WorkloadStatus(msgspec.Struct, gc=False):
    availableReplicas: Any = None
    readyReplicas: Any = None
    active: Any = None
    conditions: list[_Condition] | None = None


class _Workload(msgspec.Struct, gc=False):
    metadata: _Meta | None = None
    spec: _WorkloadSpec | None = None
    status: _WorkloadStatus | None = None


class _WorkloadList(msgspec.Struct, gc=False):
    metadata: _ListMeta | None = None
    items: list[_Workload | None] | None = None


_POD_LIST = msgspec.json.Decoder(_PodList)
_WORKLOAD_LIST = msgspec.json.Decoder(_WorkloadList)
_EMPTY_META = _Meta()


class Page(msgspec.Struct):
    """One decoded list page: records (None dropped) and the list metadata."""

    items: list[Any]
    resource_version: str
    next: str | None


PageDecoder = Callable[[bytes], Page | None]


def _names(containers: list[_Named] | None) -> tuple[str, ...]:
    if not containers:
        return ()
    return tuple([c.name for c in containers if isinstance(c.name, str)])


def _statuses(found: list[_ContainerStatus]) -> tuple[ContainerStatus, ...]:
    out = []
    for raw in found:
        name = raw.name
        if not isinstance(name, str):
            continue
        waiting_reason = terminated_reason = None
        state = raw.state
        if state is not None:
            waiting = state.waiting
            if waiting and type(waiting) is dict and waiting.get("reason"):
                waiting_reason = str(waiting["reason"])
            terminated = state.terminated
            if terminated and type(terminated) is dict:
                terminated_reason = str(terminated.get("reason") or "Terminated")
        cid = raw.containerID
        out.append(
            ContainerStatus(
                name,
                raw.ready is True,
                cid if isinstance(cid, str) else None,
                waiting_reason,
                terminated_reason,
            )
        )
    return tuple(out)


def _pod(raw: _Pod, owners: dict[tuple[str, str, bool], OwnerRef]) -> PodRecord | None:
    """`owners` shares one `OwnerRef` between the many pods of a ReplicaSet.
    The hot loop of a big listing: kept flat on purpose."""
    meta = raw.metadata or _EMPTY_META
    name = meta.name
    if not name or not isinstance(name, str):
        return None
    status = raw.status
    statuses: tuple[ContainerStatus, ...] = ()
    ips: tuple[str, ...] = ()
    phase = "Unknown"
    if status is not None:
        phase = str(status.phase or "Unknown")
        if status.containerStatuses:
            statuses = _statuses(status.containerStatuses)
        if status.podIPs:
            ips = tuple([str(p.ip) for p in status.podIPs if p.ip])
        if not ips and isinstance(status.podIP, str):
            ips = (status.podIP,)
    node = None
    containers: tuple[str, ...] = ()
    spec = raw.spec
    if spec is not None:
        if isinstance(spec.nodeName, str):
            node = spec.nodeName
        if spec.containers:
            containers = _names(spec.containers)
    refs: tuple[OwnerRef, ...] = ()
    if meta.ownerReferences:
        found_refs = []
        for o in meta.ownerReferences:
            controller = o.controller is True
            if type(o.kind) is not str or type(o.name) is not str:  # odd: not shared
                found_refs.append(OwnerRef(str(o.kind), str(o.name), controller))
                continue
            key = (o.kind, o.name, controller)
            ref = owners.get(key)
            if ref is None:
                ref = owners[key] = OwnerRef(o.kind, o.name, controller)
            found_refs.append(ref)
        refs = tuple(found_refs)
    namespace = meta.namespace
    rv = meta.resourceVersion
    return PodRecord(
        name,
        namespace if type(namespace) is str else str(namespace or ""),
        meta.labels or {},
        meta.annotations or {},
        phase,
        bool(meta.deletionTimestamp),
        node,
        containers,
        statuses,
        refs,
        ips,
        rv if type(rv) is str else str(rv or ""),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _template_containers(template: _Template | None) -> tuple[str, ...]:
    if template is None or template.spec is None:
        return ()
    return _names(template.spec.containers)


def _workload(kind: str, raw: _Workload) -> WorkloadRecord | None:
    meta = raw.metadata or _EMPTY_META
    name = meta.name
    if not isinstance(name, str) or not name:
        return None
    spec = raw.spec or _WorkloadSpec()
    status = raw.status or _WorkloadStatus()
    finished: str | None = None
    suspended = False
    match_labels: dict[str, str] = {}
    if kind == "cronjob":
        job = spec.jobTemplate.spec if spec.jobTemplate is not None else None
        containers = _template_containers(job.template if job is not None else None)
        suspended = spec.suspend is True
    else:
        containers = _template_containers(spec.template)
        if spec.selector is not None:
            match_labels = spec.selector.matchLabels or {}
    if kind == "job":
        for cond in status.conditions or ():
            if cond.status == "True" and cond.type in ("Complete", "Failed"):
                finished = str(cond.type)
        available = _int(status.active)
    else:
        available = _int(status.availableReplicas)
        if available is None and kind == "statefulset":
            available = _int(status.readyReplicas)
    return WorkloadRecord(
        kind=kind,
        name=name,
        namespace=str(meta.namespace or ""),
        labels=meta.labels or {},
        match_labels=match_labels,
        containers=containers,
        replicas=_int(spec.replicas),
        available=available,
        finished=finished,
        suspended=suspended,
        resource_version=str(meta.resourceVersion or ""),
        annotations=meta.annotations or {},
    )


def _page(items: list[Any], meta: _ListMeta | None) -> Page:
    rv = str(meta.resourceVersion or "") if meta is not None else ""
    token = meta.next if meta is not None else None
    return Page(items, rv, str(token) if token else None)


def decode_pod_page(body: bytes) -> Page | None:
    """A page of a pod list as `PodRecord`s, or None when the page needs the tolerant path."""
    try:
        page = _POD_LIST.decode(body)
    except msgspec.DecodeError:  # includes ValidationError
        return None
    owners: dict[tuple[str, str, bool], OwnerRef] = {}
    records = [r for p in page.items or () if p is not None and (r := _pod(p, owners)) is not None]
    return _page(records, page.metadata)


def workload_page_decoder(kind: str) -> PageDecoder:
    """Like `decode_pod_page`, for one workload kind (see `records.decode_workload`)."""
    if kind not in ("deployment", "rollout", "statefulset", "job", "cronjob"):
        raise ValueError(f"not a workload kind: {kind}")

    def decode(body: bytes) -> Page | None:
        try:
            page = _WORKLOAD_LIST.decode(body)
        except msgspec.DecodeError:
            return None
        records = [
            r
            for r in (_workload(kind, w) for w in page.items or () if w is not None)
            if r is not None
        ]
        return _page(records, page.metadata)

    return decode


__all__ = ["Page", "PageDecoder", "decode_pod_page", "decode_workload", "workload_page_decoder"]
