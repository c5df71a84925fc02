"""The Kubernetes kinds the product reads or creates, and the one way to build their URLs.

Each kind says where it lives in the API (group, version, plural, namespaced), whether
mirrord can target it without its operator, and how the pods behind a target of that
kind are found. `api_url` is the only place an API path is put together: every name
in it is checked by Kubernetes' rules first (see `mirrord_ide.names`) and every
segment is escaped, so no input can turn into another path or a query.

Which target kinds need the operator is mirrord's decision: `Target::requires_operator`
in `mirrord/config/src/target.rs` (job, cronjob, statefulset, service, replicaset and
label targets), enforced for the open-source path by `process_config_oss` in
`mirrord/cli/src/connection.rs` and by the config's `TargetRequiresOperator` check in
`mirrord/config/src/lib.rs` when `operator` is false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

from mirrord_ide.errors import InvalidConfig
from mirrord_ide.names import check_name, check_namespace

# How the pods of a target are found:
# - "self": the target is a pod;
# - "match-labels": `spec.selector.matchLabels` of the object (for a rollout with a
#   `workloadRef`, those of the deployment it refers to);
# - "service-selector": `spec.selector` of a service;
# - "jobs": the jobs the object owns, then their pods;
# - "none": not a target kind, or its pods are not looked up.
PodLookup = Literal["self", "match-labels", "service-selector", "jobs", "none"]

# Subresources the product reads; anything else is refused by `api_url`.
SUBRESOURCES: Final = frozenset({"log", "portforward"})


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # as written in a target path or a request: `pod`, `deployment`...
    group: str  # "" for the core API
    version: str
    plural: str
    namespaced: bool = True
    needs_operator: bool = False
    pods: PodLookup = "none"
    title: str = ""  # picker section title
    optional: bool = False  # a custom resource that may not be installed
    target: bool = False  # a kind the target picker lists

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"


_ALL: Final[tuple[Kind, ...]] = (
    # Target kinds, in the order the picker and `ls` list them.
    Kind(
        "deployment",
        "apps",
        "v1",
        "deployments",
        pods="match-labels",
        title="Deployments",
        target=True,
    ),
    Kind(
        "rollout",
        "argoproj.io",
        "v1alpha1",
        "rollouts",
        pods="match-labels",
        title="Rollouts",
        optional=True,
        target=True,
    ),
    Kind(
        "statefulset",
        "apps",
        "v1",
        "statefulsets",
        needs_operator=True,
        pods="match-labels",
        title="StatefulSets",
        target=True,
    ),
    Kind(
        "cronjob",
        "batch",
        "v1",
        "cronjobs",
        needs_operator=True,
        pods="jobs",
        title="CronJobs",
        target=True,
    ),
    Kind(
        "job",
        "batch",
        "v1",
        "jobs",
        needs_operator=True,
        pods="match-labels",
        title="Jobs",
        target=True,
    ),
    Kind("pod", "", "v1", "pods", pods="self", title="Pods", target=True),
    # Target kinds only the operator resolves; not listed by discovery.
    Kind(
        "service",
        "",
        "v1",
        "services",
        needs_operator=True,
        pods="service-selector",
        title="Services",
    ),
    Kind(
        "replicaset",
        "apps",
        "v1",
        "replicasets",
        needs_operator=True,
        pods="match-labels",
        title="ReplicaSets",
    ),
    # Objects read while launching an agent.
    Kind("namespace", "", "v1", "namespaces", namespaced=False),
    Kind("node", "", "v1", "nodes", namespaced=False),
    Kind("configmap", "", "v1", "configmaps"),
    Kind("secret", "", "v1", "secrets"),
)

KINDS: Final[dict[str, Kind]] = {k.name: k for k in _ALL}
# The kinds target discovery lists, in display order.
TARGET_KINDS: Final[tuple[Kind, ...]] = tuple(k for k in _ALL if k.target)
TARGET_KIND_ORDER: Final[tuple[str, ...]] = tuple(k.name for k in TARGET_KINDS)
# mirrord's `requires_operator`, plus label targets (which have no kind of their own).
OPERATOR_KINDS: Final = frozenset({k.name for k in _ALL if k.needs_operator} | {"label"})
_BY_PLURAL: Final[dict[str, Kind]] = {k.plural: k for k in _ALL}


def kind_of(name: str) -> Kind:
    """The registered kind called `name` (singular, as in a target path, or plural)."""
    found = KINDS.get(name) or _BY_PLURAL.get(name)
    if found is None:
        raise InvalidConfig(f"unknown Kubernetes kind `{name}`")
    return found


def _segment(value: str) -> str:
    return quote(value, safe="")


def api_url(
    kind: Kind | str,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
) -> str:
    """The API path of a collection (`name` None) or one object, optionally one of its
    subresources. `namespace` None on a namespaced kind is the cluster-wide collection.
    Raises `InvalidConfig` (quoting the name) for a name Kubernetes would not accept."""
    spec = kind if isinstance(kind, Kind) else kind_of(kind)
    parts = [spec.prefix]
    if namespace is not None:
        if not spec.namespaced:
            raise InvalidConfig(f"{spec.plural} are not namespaced")
        parts.append(f"namespaces/{_segment(check_namespace(namespace))}")
    parts.append(spec.plural)
    if name is not None:
        parts.append(_segment(check_name(spec.name, name)))
    if subresource is not None:
        if name is None or subresource not in SUBRESOURCES:
            raise InvalidConfig(f"unsupported subresource `{subresource}` of {spec.plural}")
        parts.append(subresource)
    return "/".join(parts)
