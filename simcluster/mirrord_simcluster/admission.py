"""Defaults and checks applied to objects created through the API, as upstream's
registry strategies do (the parts clients observe)."""

from __future__ import annotations

import uuid
from typing import Any

from mirrord_simcluster import objects as o
from mirrord_simcluster.resources import ResourceType
from mirrord_simcluster.status import ApiError

Obj = dict[str, Any]


def _invalid(res: ResourceType, name: str, detail: str) -> ApiError:
    return ApiError(
        422,
        f'{res.kind} "{name}" is invalid: {detail}',
        "Invalid",
        {"name": name, "group": res.group, "kind": res.kind},
    )


def prepare_create(res: ResourceType, obj: Obj) -> Obj:
    """Validate the essentials and fill defaults; returns the object to store."""
    meta = obj.setdefault("metadata", {})
    name = str(meta.get("name") or meta.get("generateName") or "")
    obj.pop("status", None) if res.plural not in ("namespaces", "nodes") else None
    if res.plural == "pods":
        containers = obj.get("spec", {}).get("containers")
        if not containers:
            raise _invalid(res, name, "spec.containers: Required value")
        for i, c in enumerate(containers):
            if not c.get("name"):
                raise _invalid(res, name, f"spec.containers[{i}].name: Required value")
            if not c.get("image"):
                raise _invalid(res, name, f"spec.containers[{i}].image: Required value")
        template = {
            "metadata": {
                "labels": meta.get("labels") or {},
                "annotations": meta.get("annotations") or {},
            },
            "spec": obj["spec"],
        }
        pod = o.new_pod("", "", template)
        pod["metadata"] = meta
        return pod
    if res.plural == "jobs":
        meta["uid"] = str(uuid.uuid4())
        spec = obj.setdefault("spec", {})
        template = spec.get("template") or {}
        if not template.get("spec", {}).get("containers"):
            raise _invalid(res, name, "spec.template.spec.containers: Required value")
        if template.get("spec", {}).get("restartPolicy") not in ("Never", "OnFailure"):
            raise _invalid(
                res,
                name,
                "spec.template.spec.restartPolicy: Required value: "
                'valid values: "OnFailure", "Never"',
            )
        labels = {
            "batch.kubernetes.io/controller-uid": meta["uid"],
            "controller-uid": meta["uid"],
        }
        if meta.get("name"):
            labels |= {"batch.kubernetes.io/job-name": meta["name"], "job-name": meta["name"]}
        template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        spec.setdefault(
            "selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": meta["uid"]}}
        )
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        obj["status"] = {}
    if res.plural in ("deployments", "statefulsets", "replicasets", "rollouts"):
        spec = obj.setdefault("spec", {})
        if not spec.get("template", {}).get("spec", {}).get("containers"):
            raise _invalid(res, name, "spec.template.spec.containers: Required value")
        if not spec.get("selector"):
            raise _invalid(res, name, "spec.selector: Required value")
        spec.setdefault("replicas", 1)
        obj["status"] = {}
    if res.plural == "namespaces":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = str(meta.get("name", ""))
    return obj
