"""Seeds: the YAML description of a simulated cluster, and its expansion into objects.

Format (every key optional except where noted)::

    options:                      # defaults for the server options (see `server.Options`)
      schedule_delay: 0.3
    default_user: admin           # the user written into the default kubeconfig
    users:
      - name: admin               # required
        token: admin-token        # bearer token; default "<name>-token"
        admin: true               # every verb on every resource everywhere
      - name: alice
        expired: true             # token rejected with 401
        rules:
          - verbs: [get, list, watch]
            resources: [pods, deployments, pods/log]   # "*" allowed; subresources too
            namespaces: [shop]    # omit for all namespaces and cluster-scoped resources
    nodes:                        # default: node-1, node-2
      - name: node-1
        labels: {topology.kubernetes.io/zone: eu-west-1a}
        unschedulable: false
    namespaces:
      - name: shop                # required
        labels: {team: shop}
        configmaps:   [{name: shop-config, data: {KEY: value}}]
        secrets:      [{name: shop-db, data: {PASSWORD: plain text, encoded for you}}]
        deployments:
          - name: frontend        # required
            replicas: 3
            labels: {tier: web}   # extra labels; `app: <name>` is always set
            sidecars: [istio]     # istio | linkerd | vault: appends the proxy container
            defaultContainer: app # kubectl.kubernetes.io/default-container annotation
            ready: 2              # how many pods are Running+Ready (default: all)
            containers:           # required; `name` and `image` required in each
              - name: app
                image: ghcr.io/acme/frontend:1.4.2
                ports: [8080]
                command: [...]
                args: [...]
                imageEnv:         # variables baked into the image: not in the pod spec,
                  GREETING: hi    # only in the running process's env (seen by the agent)
                env:              # a map; values are strings or references:
                  LOG_LEVEL: info
                  DB_HOST: {configMap: shop-config/DB_HOST}
                  DB_PASSWORD: {secret: shop-db/PASSWORD}
                envFrom: [{configMap: shop-config}, {secret: shop-db}]
            traffic:              # requests the pods receive (mirrored by simulated agents)
              interval: 3         # seconds between requests (option traffic_interval overrides)
              port: 8080          # default: the first declared container port
              requests:           # sent in turn; default one GET /
                - {method: POST, path: /orders, headers: {content-type: application/json},
                   body: '{"id": {n}}'}    # {n}: the request's sequence number
                - {tcp: "PING {n}\\r\\n"}     # raw TCP instead of HTTP
        statefulsets: [{name, replicas, containers, ...}]   # same keys as deployments
        rollouts:     [{name, replicas, containers, ...}]   # argoproj.io/v1alpha1
        jobs:         [{name, containers, state: succeeded|failed|running}]
        cronjobs:     [{name, schedule: "*/5 * * * *", containers}]
        pods:                     # bare pods
          - name: debug           # required
            containers: [...]
            state: running        # running | crashloop | pending | unschedulable |
                                  # imagepull | succeeded | failed | new (left to the scheduler)
            node: node-2          # default: spread over the nodes
            labels: {...}
            annotations: {...}

Objects of any kind may also be given in full under `objects:` (a list of manifests with
`apiVersion`, `kind`, `metadata.name` and, when namespaced, `metadata.namespace`).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

import yaml

from mirrord_simcluster import objects as o
from mirrord_simcluster.rbac import ADMIN_RULE, User, parse_user
from mirrord_simcluster.resources import by_kind
from mirrord_simcluster.store import Obj, Store, now_iso

SeedInput = str | Path | Mapping[str, Any] | None


class SeedError(ValueError):
    pass


@dataclass(frozen=True)
class TrafficSource:
    """Requests that the pods labelled `app: <app>` in `namespace` receive periodically."""

    namespace: str
    app: str
    interval: float
    port: int | None
    requests: tuple[Mapping[str, Any], ...]

    def render(self, number: int, port: int) -> bytes:
        """The bytes of request `number` (1-based; requests are sent in turn)."""
        spec = self.requests[(number - 1) % len(self.requests)] if self.requests else {}
        n = str(number)
        if "tcp" in spec:
            return str(spec["tcp"]).replace("{n}", n).encode()
        method = str(spec.get("method", "GET")).upper()
        path = str(spec.get("path", "/")).replace("{n}", n)
        body = str(spec.get("body", "")).replace("{n}", n).encode()
        headers = {
            "host": f"{self.app}.{self.namespace}.svc.cluster.local:{port}",
            "user-agent": "simcluster-traffic/1",
            "x-request-id": n,
        }
        headers |= {str(k).lower(): str(v) for k, v in (spec.get("headers") or {}).items()}
        if body or method in ("POST", "PUT", "PATCH"):
            headers["content-length"] = str(len(body))
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body


_WORKLOAD_KEYS = ("deployments", "statefulsets", "rollouts", "jobs", "cronjobs", "pods")


def _image_env(raw: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """`imageEnv` of every container in the seed, by image reference."""
    found: dict[str, dict[str, str]] = {}
    for ns in raw.get("namespaces") or []:
        if not isinstance(ns, Mapping):
            continue
        for key in _WORKLOAD_KEYS:
            for workload in ns.get(key) or []:
                if not isinstance(workload, Mapping):
                    continue
                for c in workload.get("containers") or []:
                    if not isinstance(c, Mapping) or "imageEnv" not in c:
                        continue
                    where = f"namespace {ns.get('name')}: {workload.get('name')}/{c.get('name')}"
                    env = c["imageEnv"]
                    if not isinstance(env, Mapping) or not all(
                        isinstance(v, str | int | float | bool) for v in env.values()
                    ):
                        raise SeedError(f"{where}: imageEnv must map names to values")
                    image = str(c.get("image", ""))
                    values = {str(k): str(v) for k, v in env.items()}
                    if image in found and found[image] != values:
                        raise SeedError(f"{where}: image {image} has another imageEnv elsewhere")
                    found[image] = values
    return found


def _traffic(raw: Mapping[str, Any]) -> list[TrafficSource]:
    sources: list[TrafficSource] = []
    for ns in raw.get("namespaces") or []:
        if not isinstance(ns, Mapping):
            continue
        for key in _WORKLOAD_KEYS:
            for workload in ns.get(key) or []:
                if not isinstance(workload, Mapping) or "traffic" not in workload:
                    continue
                where = f"namespace {ns.get('name')}: {workload.get('name')}"
                spec = workload["traffic"]
                if not isinstance(spec, Mapping):
                    raise SeedError(f"{where}: traffic must be a mapping")
                try:
                    interval = float(spec.get("interval", 3))
                    port = int(spec["port"]) if spec.get("port") is not None else None
                except (TypeError, ValueError):
                    raise SeedError(f"{where}: traffic interval and port must be numbers") from None
                requests = spec.get("requests") or [{}]
                if not isinstance(requests, list) or not all(
                    isinstance(r, Mapping) for r in requests
                ):
                    raise SeedError(f"{where}: traffic requests must be a list of mappings")
                if port is not None and not 0 < port < 65536:
                    raise SeedError(f"{where}: traffic port {port} is out of range")
                sources.append(
                    TrafficSource(
                        str(ns.get("name")),
                        str(workload.get("name")),
                        interval,
                        port,
                        tuple(requests),
                    )
                )
    return sources


@dataclass
class Seed:
    raw: dict[str, Any]
    users: list[User] = field(default_factory=list)
    default_user: str = "admin"
    options: dict[str, Any] = field(default_factory=dict)
    image_env: dict[str, dict[str, str]] = field(default_factory=dict)
    traffic: list[TrafficSource] = field(default_factory=list)

    @property
    def default_namespace(self) -> str:
        names = [str(ns.get("name")) for ns in self.raw.get("namespaces") or []]
        return "default" if "default" in names or not names else names[0]


def demo_seed_text() -> str:
    return (importlib_resources.files("mirrord_simcluster") / "demo_seed.yaml").read_text()


def load_seed(seed: SeedInput) -> Seed:
    """A seed from a path, YAML text, a dict, or None (the bundled demo app)."""
    if seed is None:
        raw: Any = yaml.safe_load(demo_seed_text())
    elif isinstance(seed, Mapping):
        raw = copy.deepcopy(dict(seed))
    elif isinstance(seed, Path) or (isinstance(seed, str) and "\n" not in seed):
        path = Path(seed)
        try:
            raw = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise SeedError(f"cannot read seed {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise SeedError(f"seed {path} is not valid YAML: {exc}") from exc
    else:
        try:
            raw = yaml.safe_load(seed)
        except yaml.YAMLError as exc:
            raise SeedError(f"seed is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SeedError("a seed must be a mapping with namespaces, nodes, users…")
    try:
        users = [parse_user(u) for u in raw.get("users") or []]
    except ValueError as exc:
        raise SeedError(f"users: {exc}") from exc
    if "agent_exec" in (raw.get("options") or {}):
        # A seed is data: the command run for agent pods comes from the command line only.
        raise SeedError("options.agent_exec cannot be set in a seed (use --agent-exec)")
    if not any(u.name == "admin" for u in users):
        users.insert(0, User("admin", "admin-token", (ADMIN_RULE,)))
    return Seed(
        raw=raw,
        users=users,
        default_user=str(raw.get("default_user", "admin")),
        options=dict(raw.get("options") or {}),
        image_env=_image_env(raw),
        traffic=_traffic(raw),
    )


class _Expander:
    """Turns the compact seed into full objects, grouped by resource."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.out: dict[str, list[Obj]] = {}
        self.at = now_iso()
        self.nodes: list[Obj] = []
        self._spread = 0

    def add(self, resource: str, obj: Obj) -> Obj:
        obj.setdefault("metadata", {}).setdefault("uid", str(uuid.uuid4()))
        obj["metadata"].setdefault("creationTimestamp", self.at)
        self.out.setdefault(resource, []).append(obj)
        return obj

    def run(self) -> dict[str, list[Obj]]:
        raw_nodes = self.raw.get("nodes")
        if raw_nodes is None:
            raw_nodes = [{"name": "node-1"}, {"name": "node-2"}]
        for i, spec in enumerate(raw_nodes):
            if "name" not in spec:
                raise SeedError(f"nodes[{i}] needs a name")
            self.nodes.append(
                self.add(
                    "nodes",
                    o.node(
                        str(spec["name"]),
                        i + 1,
                        spec.get("labels"),
                        bool(spec.get("unschedulable")),
                        int(spec.get("pods", 110)),
                    ),
                )
            )
        for i, ns in enumerate(self.raw.get("namespaces") or []):
            if not isinstance(ns, Mapping) or "name" not in ns:
                raise SeedError(f"namespaces[{i}] needs a name")
            try:
                self.namespace(ns)
            except (KeyError, TypeError, ValueError) as exc:
                raise SeedError(f"namespace {ns['name']}: {exc}") from exc
        for i, manifest in enumerate(self.raw.get("objects") or []):
            self.manifest(i, manifest)
        return self.out

    def manifest(self, index: int, manifest: Any) -> None:
        if not isinstance(manifest, Mapping):
            raise SeedError(f"objects[{index}] is not a mapping")
        res = by_kind(str(manifest.get("apiVersion")), str(manifest.get("kind")))
        if res is None:
            raise SeedError(
                f"objects[{index}]: unknown kind {manifest.get('apiVersion')}/"
                f"{manifest.get('kind')}"
            )
        obj = copy.deepcopy(dict(manifest))
        if not obj.get("metadata", {}).get("name"):
            raise SeedError(f"objects[{index}] needs metadata.name")
        self.add(res.plural, obj)

    def _node_for(self, requested: str | None) -> tuple[int, Obj]:
        if not self.nodes:
            raise SeedError("pods need at least one node")
        if requested:
            for i, n in enumerate(self.nodes):
                if n["metadata"]["name"] == requested:
                    return i + 1, n
            raise SeedError(f"unknown node {requested!r}")
        i = self._spread % len(self.nodes)
        self._spread += 1
        return i + 1, self.nodes[i]

    def pod(
        self, pod: Obj, state: str, node_name: str | None = None, crash_container: str | None = None
    ) -> Obj:
        if state not in o.POD_STATES:
            raise SeedError(f"unknown pod state {state!r} (one of {', '.join(o.POD_STATES)})")
        pod["metadata"]["uid"] = str(uuid.uuid4())
        pod["metadata"]["creationTimestamp"] = self.at
        if state == "unschedulable":
            n = len(self.nodes)
            pod["status"] = o.unschedulable_status(
                pod,
                self.at,
                f"0/{n} nodes are available: {n} Insufficient memory. preemption: 0/{n} nodes "
                f"are available: {n} No preemption victims found for incoming pod.",
            )
        elif state != "new":
            index, node_obj = self._node_for(node_name)
            pod["spec"]["nodeName"] = node_obj["metadata"]["name"]
            pod["status"] = o.pod_status(
                pod, state, self.at, index, o.node_ip(node_obj), crash_container
            )
        return self.add("pods", pod)

    def namespace(self, spec: Mapping[str, Any]) -> None:
        name = str(spec["name"])
        self.add(
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "labels": {"kubernetes.io/metadata.name": name}
                    | dict(spec.get("labels") or {}),
                },
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
        )
        for cm in spec.get("configmaps") or []:
            self.add(
                "configmaps",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": cm["name"], "namespace": name},
                    "data": {k: str(v) for k, v in (cm.get("data") or {}).items()},
                },
            )
        for secret in spec.get("secrets") or []:
            self.add(
                "secrets",
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": secret["name"], "namespace": name},
                    "type": secret.get("type", "Opaque"),
                    "data": o.secret_data(secret.get("data") or {}),
                },
            )
        self.add(
            "serviceaccounts",
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": name},
            },
        )
        for dep in spec.get("deployments") or []:
            self.deployment(name, dep)
        for sts in spec.get("statefulsets") or []:
            self.statefulset(name, sts)
        for ro in spec.get("rollouts") or []:
            self.rollout(name, ro)
        for job in spec.get("jobs") or []:
            self.job(name, job)
        for cj in spec.get("cronjobs") or []:
            self.cronjob(name, cj)
        for pod in spec.get("pods") or []:
            self.bare_pod(name, pod)

    def _template(self, spec: Mapping[str, Any], labels: dict[str, str]) -> Obj:
        if not spec.get("containers"):
            raise SeedError(f"{spec.get('name')}: containers are required")
        containers = o.template_containers(
            list(spec["containers"]), list(spec.get("sidecars") or [])
        )
        annotations = dict(spec.get("annotations") or {})
        if spec.get("defaultContainer"):
            annotations["kubectl.kubernetes.io/default-container"] = str(spec["defaultContainer"])
        return o.pod_template(labels, containers, annotations)

    def _pods_for(
        self,
        ns: str,
        spec: Mapping[str, Any],
        owner: Obj,
        template: Obj,
        names: list[str],
        extra_labels: dict[str, str],
    ) -> int:
        ready = int(spec.get("ready", len(names)))
        for i, pod_name in enumerate(names):
            pod = o.new_pod(ns, pod_name, template, owner, extra_labels)
            state = "running" if i < ready else str(spec.get("unready_state", "crashloop"))
            self.pod(pod, state)
        return min(ready, len(names))

    def deployment(self, ns: str, spec: Mapping[str, Any], kind: str = "Deployment") -> None:
        name = str(spec["name"])
        replicas = int(spec.get("replicas", 1))
        selector = {"app": name}
        labels = selector | dict(spec.get("labels") or {})
        template = self._template(spec, labels)
        dep = o.deployment(ns, name, replicas, template, labels, selector)
        if kind == "Rollout":
            dep["apiVersion"] = "argoproj.io/v1alpha1"
            dep["kind"] = "Rollout"
            dep["spec"]["strategy"] = {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}}
            dep["metadata"].pop("annotations", None)
        self.add("deployments" if kind == "Deployment" else "rollouts", dep)
        hash_label = "pod-template-hash" if kind == "Deployment" else "rollouts-pod-template-hash"
        template_hash = o.safe_hash(f"{ns}/{name}/template", 10 if kind == "Deployment" else 9)
        rs = self.add("replicasets", o.replica_set(dep, template_hash, hash_label))
        names = [
            f"{rs['metadata']['name']}-{o.safe_hash(f'{ns}/{name}/{i}', 5)}"
            for i in range(replicas)
        ]
        ready = self._pods_for(
            ns, spec, rs, rs["spec"]["template"], names, {hash_label: template_hash}
        )
        dep["status"] = o.workload_status(kind, replicas, ready)
        rs["status"] = o.workload_status("ReplicaSet", replicas, ready)

    def rollout(self, ns: str, spec: Mapping[str, Any]) -> None:
        self.deployment(ns, spec, kind="Rollout")

    def statefulset(self, ns: str, spec: Mapping[str, Any]) -> None:
        name = str(spec["name"])
        replicas = int(spec.get("replicas", 1))
        selector = {"app": name}
        labels = selector | dict(spec.get("labels") or {})
        template = self._template(spec, labels)
        revision = f"{name}-{o.safe_hash(f'{ns}/{name}/rev', 10)}"
        sts = self.add(
            "statefulsets",
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": selector},
                    "serviceName": name,
                    "template": template,
                    "podManagementPolicy": "OrderedReady",
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                },
                "status": {},
            },
        )
        ready = 0
        for i in range(replicas):
            pod_name = f"{name}-{i}"
            extra = {
                "controller-revision-hash": revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(i),
            }
            ready += self._pods_for(
                ns,
                {"ready": 1 if i < int(spec.get("ready", replicas)) else 0},
                sts,
                template,
                [pod_name],
                extra,
            )
        sts["status"] = o.workload_status("StatefulSet", replicas, ready) | {
            "currentRevision": revision,
            "updateRevision": revision,
        }

    def job(self, ns: str, spec: Mapping[str, Any], owner: Obj | None = None) -> Obj:
        name = str(spec["name"])
        state = str(spec.get("state", "succeeded"))
        uid = str(uuid.uuid4())
        job: Obj = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "labels": {}},
            "spec": {},
            "status": {},
        }
        labels = o.job_labels(job)
        job["metadata"]["labels"] = dict(labels)
        template = self._template(spec, labels)
        template["spec"]["restartPolicy"] = "Never"
        job["spec"] = {
            "parallelism": 1,
            "completions": 1,
            "backoffLimit": int(spec.get("backoffLimit", 6)),
            "completionMode": "NonIndexed",
            "suspend": False,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
            "template": template,
        }
        if owner is not None:
            job["metadata"]["ownerReferences"] = [o.owner_ref(owner)]
        self.add("jobs", job)
        pod = o.new_pod(ns, f"{name}-{o.safe_hash(f'{ns}/{name}/job', 5)}", template, job)
        self.pod(pod, state)
        job["status"] = {"startTime": self.at, "ready": 0, "terminating": 0}
        if state == "succeeded":
            job["status"] |= {
                "succeeded": 1,
                "completionTime": self.at,
                "uncountedTerminatedPods": {},
                "conditions": [
                    {
                        "type": "SuccessCriteriaMet",
                        "status": "True",
                        "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods",
                    },
                    {
                        "type": "Complete",
                        "status": "True",
                        "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods",
                    },
                ],
            }
        elif state == "failed":
            job["status"] |= {
                "failed": 1,
                "conditions": [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    },
                ],
            }
        else:
            job["status"] |= {"active": 1, "ready": 1}
        return job

    def cronjob(self, ns: str, spec: Mapping[str, Any]) -> None:
        name = str(spec["name"])
        template = self._template(spec, {})
        template["spec"]["restartPolicy"] = "OnFailure"
        cj = self.add(
            "cronjobs",
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "schedule": str(spec.get("schedule", "*/5 * * * *")),
                    "concurrencyPolicy": "Forbid",
                    "suspend": False,
                    "successfulJobsHistoryLimit": 3,
                    "failedJobsHistoryLimit": 1,
                    "jobTemplate": {"spec": {"template": template}},
                },
                "status": {"lastScheduleTime": self.at, "lastSuccessfulTime": self.at},
            },
        )
        self.job(
            ns,
            dict(spec) | {"name": f"{name}-{o.safe_hash(f'{ns}/{name}', 8)}", "state": "succeeded"},
            owner=cj,
        )

    def bare_pod(self, ns: str, spec: Mapping[str, Any]) -> None:
        name = str(spec["name"])
        labels = {"app": name} | dict(spec.get("labels") or {})
        template = self._template(spec, labels)
        pod = o.new_pod(ns, name, template)
        self.pod(
            pod, str(spec.get("state", "running")), spec.get("node"), spec.get("crash_container")
        )


def expand_seed(seed: Seed) -> dict[str, list[Obj]]:
    """The objects a seed describes, grouped by resource plural."""
    return _Expander(seed.raw).run()


def apply_seed(store: Store, seed: Seed) -> None:
    for resource, objs in expand_seed(seed).items():
        store.load(resource, objs)
