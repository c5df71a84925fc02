"""The catalog of resource types the simulated API server serves.

One `ResourceType` per REST resource: its plural (the store key), kind, API
group/version, scope, short names for kubectl, and the field selectors the real
apiserver accepts for it (anything else is answered with 400, as upstream does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_COMMON_FIELDS = frozenset({"metadata.name", "metadata.namespace"})


@dataclass(frozen=True)
class ResourceType:
    plural: str
    kind: str
    group: str
    version: str
    namespaced: bool
    singular: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    extra_fields: frozenset[str] = field(default_factory=frozenset)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How the apiserver names the resource in messages: `pods`, `deployments.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def field_selectors(self) -> frozenset[str]:
        return _COMMON_FIELDS | self.extra_fields


_POD_FIELDS = frozenset(
    {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    }
)
_EVENT_FIELDS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }
)

CATALOG: tuple[ResourceType, ...] = (
    ResourceType(
        "namespaces",
        "Namespace",
        "",
        "v1",
        False,
        "namespace",
        ("ns",),
        extra_fields=frozenset({"status.phase"}),
    ),
    ResourceType(
        "nodes",
        "Node",
        "",
        "v1",
        False,
        "node",
        ("no",),
        extra_fields=frozenset({"spec.unschedulable"}),
    ),
    ResourceType("pods", "Pod", "", "v1", True, "pod", ("po",), ("all",), _POD_FIELDS),
    ResourceType("configmaps", "ConfigMap", "", "v1", True, "configmap", ("cm",)),
    ResourceType(
        "secrets", "Secret", "", "v1", True, "secret", (), extra_fields=frozenset({"type"})
    ),
    ResourceType("events", "Event", "", "v1", True, "event", ("ev",), (), _EVENT_FIELDS),
    ResourceType("services", "Service", "", "v1", True, "service", ("svc",), ("all",)),
    ResourceType("serviceaccounts", "ServiceAccount", "", "v1", True, "serviceaccount", ("sa",)),
    ResourceType(
        "deployments", "Deployment", "apps", "v1", True, "deployment", ("deploy",), ("all",)
    ),
    ResourceType("replicasets", "ReplicaSet", "apps", "v1", True, "replicaset", ("rs",), ("all",)),
    ResourceType(
        "statefulsets", "StatefulSet", "apps", "v1", True, "statefulset", ("sts",), ("all",)
    ),
    ResourceType(
        "jobs", "Job", "batch", "v1", True, "job", (), ("all",), frozenset({"status.successful"})
    ),
    ResourceType("cronjobs", "CronJob", "batch", "v1", True, "cronjob", ("cj",), ("all",)),
    ResourceType(
        "rollouts", "Rollout", "argoproj.io", "v1alpha1", True, "rollout", ("ro",), ("all",)
    ),
)

BY_PLURAL: dict[str, ResourceType] = {r.plural: r for r in CATALOG}


def groups() -> dict[str, list[ResourceType]]:
    """Named API groups (not the core group) → their resources, in catalog order."""
    out: dict[str, list[ResourceType]] = {}
    for res in CATALOG:
        if res.group:
            out.setdefault(res.group, []).append(res)
    return out


def lookup(group: str, version: str, plural: str) -> ResourceType | None:
    res = BY_PLURAL.get(plural)
    if res is None or res.group != group or res.version != version:
        return None
    return res


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    for res in CATALOG:
        if res.kind == kind and res.api_version == api_version:
            return res
    return None
