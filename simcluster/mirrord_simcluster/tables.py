"""Server-side `meta.k8s.io/v1 Table` rendering, which `kubectl get` asks for.

Columns follow kubectl's usual ones per kind; priority-1 columns show with `-o wide`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, str, int, Callable[[Obj], Any]]  # name, type, priority, cell


def age(obj: Obj, now: datetime | None = None) -> str:
    stamp = obj.get("metadata", {}).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    try:
        created = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    seconds = int(((now or datetime.now(UTC)) - created).total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 else f"{hours}h"
    return f"{hours // 24}d"


def _name(o: Obj) -> str:
    return str(o["metadata"]["name"])


def pod_status_text(pod: Obj) -> str:
    meta, status = pod["metadata"], pod.get("status", {})
    if meta.get("deletionTimestamp"):
        return "Terminating"
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            return str(state["waiting"]["reason"])
        if "terminated" in state:
            reason = state["terminated"].get("reason") or reason
    return str(reason)


def _pod_ready(pod: Obj) -> str:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    total = len(pod.get("spec", {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _restarts(pod: Obj) -> int:
    return sum(
        int(s.get("restartCount", 0)) for s in pod.get("status", {}).get("containerStatuses") or []
    )


def _images(o: Obj) -> str:
    spec = o.get("spec", {}).get("template", {}).get("spec", {})
    return ",".join(c.get("image", "") for c in spec.get("containers", []))


def _containers(o: Obj) -> str:
    spec = o.get("spec", {}).get("template", {}).get("spec", {})
    return ",".join(c.get("name", "") for c in spec.get("containers", []))


def _selector(o: Obj) -> str:
    labels = o.get("spec", {}).get("selector", {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items())


def _st(o: Obj, key: str, default: Any = 0) -> Any:
    return o.get("status", {}).get(key, default)


def _node_status(n: Obj) -> str:
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in n.get("status", {}).get("conditions", [])
    )
    text = "Ready" if ready else "NotReady"
    return text + (",SchedulingDisabled" if n.get("spec", {}).get("unschedulable") else "")


def _job_status(j: Obj) -> str:
    for cond in j.get("status", {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed"):
            return str(cond["type"])
    return "Running"


AGE: Column = ("Age", "string", 0, age)
NAME: Column = ("Name", "string", 0, _name)

COLUMNS: dict[str, list[Column]] = {
    "pods": [
        NAME,
        ("Ready", "string", 0, _pod_ready),
        ("Status", "string", 0, pod_status_text),
        ("Restarts", "string", 0, lambda p: str(_restarts(p))),
        AGE,
        ("IP", "string", 1, lambda p: _st(p, "podIP", "<none>")),
        ("Node", "string", 1, lambda p: p.get("spec", {}).get("nodeName", "<none>")),
        ("Nominated Node", "string", 1, lambda p: _st(p, "nominatedNodeName", "<none>")),
        ("Readiness Gates", "string", 1, lambda p: "<none>"),
    ],
    "deployments": [
        NAME,
        (
            "Ready",
            "string",
            0,
            lambda d: f"{_st(d, 'readyReplicas')}/{d.get('spec', {}).get('replicas', 0)}",
        ),
        ("Up-to-date", "integer", 0, lambda d: _st(d, "updatedReplicas")),
        ("Available", "integer", 0, lambda d: _st(d, "availableReplicas")),
        AGE,
        ("Containers", "string", 1, _containers),
        ("Images", "string", 1, _images),
        ("Selector", "string", 1, _selector),
    ],
    "replicasets": [
        NAME,
        ("Desired", "integer", 0, lambda r: r.get("spec", {}).get("replicas", 0)),
        ("Current", "integer", 0, lambda r: _st(r, "replicas")),
        ("Ready", "integer", 0, lambda r: _st(r, "readyReplicas")),
        AGE,
        ("Containers", "string", 1, _containers),
        ("Images", "string", 1, _images),
        ("Selector", "string", 1, _selector),
    ],
    "statefulsets": [
        NAME,
        (
            "Ready",
            "string",
            0,
            lambda s: f"{_st(s, 'readyReplicas')}/{s.get('spec', {}).get('replicas', 0)}",
        ),
        AGE,
        ("Containers", "string", 1, _containers),
        ("Images", "string", 1, _images),
    ],
    "rollouts": [
        NAME,
        ("Desired", "integer", 0, lambda r: r.get("spec", {}).get("replicas", 0)),
        ("Current", "integer", 0, lambda r: _st(r, "replicas")),
        ("Up-to-date", "integer", 0, lambda r: _st(r, "updatedReplicas")),
        ("Available", "integer", 0, lambda r: _st(r, "availableReplicas")),
        AGE,
    ],
    "jobs": [
        NAME,
        ("Status", "string", 0, _job_status),
        (
            "Completions",
            "string",
            0,
            lambda j: f"{_st(j, 'succeeded')}/{j.get('spec', {}).get('completions', 1)}",
        ),
        ("Duration", "string", 0, lambda j: "-"),
        AGE,
    ],
    "cronjobs": [
        NAME,
        ("Schedule", "string", 0, lambda c: c.get("spec", {}).get("schedule", "")),
        ("Timezone", "string", 0, lambda c: c.get("spec", {}).get("timeZone", "<none>")),
        ("Suspend", "boolean", 0, lambda c: bool(c.get("spec", {}).get("suspend", False))),
        ("Active", "integer", 0, lambda c: len(_st(c, "active", []))),
        ("Last Schedule", "string", 0, lambda c: "<none>"),
        AGE,
    ],
    "nodes": [
        NAME,
        ("Status", "string", 0, _node_status),
        ("Roles", "string", 0, lambda n: "<none>"),
        AGE,
        (
            "Version",
            "string",
            0,
            lambda n: n.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", ""),
        ),
    ],
    "namespaces": [NAME, ("Status", "string", 0, lambda n: _st(n, "phase", "Active")), AGE],
    "configmaps": [NAME, ("Data", "integer", 0, lambda c: len(c.get("data") or {})), AGE],
    "secrets": [
        NAME,
        ("Type", "string", 0, lambda s: s.get("type", "Opaque")),
        ("Data", "integer", 0, lambda s: len(s.get("data") or {})),
        AGE,
    ],
    "events": [
        ("Last Seen", "string", 0, lambda e: "-"),
        ("Type", "string", 0, lambda e: e.get("type", "")),
        ("Reason", "string", 0, lambda e: e.get("reason", "")),
        (
            "Object",
            "string",
            0,
            lambda e: (
                f"{e.get('involvedObject', {}).get('kind', '').lower()}/"
                f"{e.get('involvedObject', {}).get('name', '')}"
            ),
        ),
        ("Message", "string", 0, lambda e: e.get("message", "")),
    ],
}


def _partial(obj: Obj) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def _row(columns: list[Column], obj: Obj, include: str) -> Obj:
    row: Obj = {"cells": [cell(obj) for _, _, _, cell in columns]}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = _partial(obj)
    return row


def table(
    resource: str,
    items: Iterable[Obj],
    list_meta: Obj | None = None,
    include: str = "PartialObjectMetadata",
    with_definitions: bool = True,
) -> Obj:
    columns = COLUMNS.get(resource, [NAME, AGE])
    out: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta or {}}
    out["columnDefinitions"] = (
        [
            {
                "name": name,
                "type": kind,
                "format": "name" if name == "Name" else "",
                "description": name,
                "priority": priority,
            }
            for name, kind, priority, _ in columns
        ]
        if with_definitions
        else []
    )
    out["rows"] = [_row(columns, obj, include) for obj in items]
    return out


def wants_table(accept: str | None) -> bool:
    """True when the first acceptable media type asks for a Table."""
    if not accept:
        return False
    first = accept.split(",")[0]
    return "as=Table" in first
