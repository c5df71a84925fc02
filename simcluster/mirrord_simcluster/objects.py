"""Builders of realistic full objects (pods, workloads, nodes...) from compact specs.

Pure functions: names, hashes, ids and IPs are derived deterministically from their
inputs, so a seed always expands to the same cluster (uids and timestamps aside).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

Obj = dict[str, Any]

# kube's SafeEncodeString alphabet: no vowels, no ambiguous characters.
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
AGENT_DEFAULT_PORT = 61337
SIDECARS = {
    "istio": ("istio-proxy", "docker.io/istio/proxyv2:1.24.2"),
    "linkerd": ("linkerd-proxy", "cr.l5d.io/linkerd/proxy:stable-2.14.10"),
    "vault": ("vault-agent", "hashicorp/vault:1.18"),
}
POD_STATES = (
    "running",
    "crashloop",
    "pending",
    "unschedulable",
    "imagepull",
    "succeeded",
    "failed",
    "new",
)


def safe_hash(text: str, length: int) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:length])


def container_id(pod_key: str, container: str) -> str:
    return "containerd://" + hashlib.sha256(f"{pod_key}/{container}".encode()).hexdigest()


def pod_ip(node_index: int, key: str) -> str:
    n = int(hashlib.sha256(key.encode()).hexdigest()[:6], 16)
    return f"10.244.{node_index}.{2 + n % 250}"


def owner_ref(owner: Obj, controller: bool = True) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


# ---- containers --------------------------------------------------------------------------


def _env_entry(name: str, value: Any) -> Obj:
    if isinstance(value, dict):
        if "configMapKeyRef" in value or "secretKeyRef" in value or "fieldRef" in value:
            return {"name": name, "valueFrom": value}
        if "configMap" in value:
            ref = value["configMap"]
            return {"name": name, "valueFrom": {"configMapKeyRef": _key_ref(ref)}}
        if "secret" in value:
            ref = value["secret"]
            return {"name": name, "valueFrom": {"secretKeyRef": _key_ref(ref)}}
        raise ValueError(f"env {name}: unknown value form {sorted(value)}")
    return {"name": name, "value": str(value)}


def _key_ref(ref: Any) -> Obj:
    if isinstance(ref, str):
        name, _, key = ref.partition("/")
        return {"name": name, "key": key}
    return dict(ref)


def _env_from_entry(entry: Any) -> Obj:
    if isinstance(entry, dict) and ("configMapRef" in entry or "secretRef" in entry):
        return dict(entry)
    if isinstance(entry, dict) and "configMap" in entry:
        return {"configMapRef": {"name": entry["configMap"]}}
    if isinstance(entry, dict) and "secret" in entry:
        return {"secretRef": {"name": entry["secret"]}}
    raise ValueError(f"envFrom entry {entry!r}: use {{configMap: name}} or {{secret: name}}")


def expand_container(spec: Obj) -> Obj:
    """A compact container spec (`name`, `image`, `ports`, `env` as a map...) → full spec."""
    if "name" not in spec or "image" not in spec:
        raise ValueError(f"container needs name and image: {spec!r}")
    c: Obj = {"name": str(spec["name"]), "image": str(spec["image"])}
    for key in ("command", "args"):
        if key in spec:
            c[key] = [str(x) for x in spec[key]]
    ports = spec.get("ports") or []
    if ports:
        c["ports"] = [
            p if isinstance(p, dict) else {"containerPort": int(p), "protocol": "TCP"}
            for p in ports
        ]
    env = spec.get("env")
    if isinstance(env, dict):
        c["env"] = [_env_entry(k, v) for k, v in env.items()]
    elif isinstance(env, list):
        c["env"] = copy.deepcopy(env)
    if spec.get("envFrom"):
        c["envFrom"] = [_env_from_entry(e) for e in spec["envFrom"]]
    c["resources"] = copy.deepcopy(spec.get("resources") or {})
    c["terminationMessagePath"] = "/dev/termination-log"
    c["terminationMessagePolicy"] = "File"
    c["imagePullPolicy"] = spec.get("imagePullPolicy", "IfNotPresent")
    for key in ("securityContext", "volumeMounts", "readinessProbe", "livenessProbe"):
        if key in spec:
            c[key] = copy.deepcopy(spec[key])
    return c


def template_containers(containers: list[Obj], sidecars: list[str]) -> list[Obj]:
    out = [expand_container(c) for c in containers]
    for sidecar in sidecars:
        if sidecar not in SIDECARS:
            raise ValueError(f"unknown sidecar {sidecar!r} (known: {', '.join(SIDECARS)})")
        name, image = SIDECARS[sidecar]
        out.append(
            expand_container({"name": name, "image": image, "ports": [15090], "args": ["proxy"]})
        )
    return out


def pod_template(
    labels: dict[str, str], containers: list[Obj], annotations: dict[str, str] | None = None
) -> Obj:
    meta: Obj = {"labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {
        "metadata": meta,
        "spec": {
            "containers": copy.deepcopy(containers),
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "securityContext": {},
        },
    }


# ---- pods --------------------------------------------------------------------------------


def new_pod(
    namespace: str,
    name: str,
    template: Obj,
    owner: Obj | None = None,
    extra_labels: dict[str, str] | None = None,
) -> Obj:
    """A pod as a controller creates it: no node, status Pending, waiting for the scheduler."""
    meta: Obj = {
        "name": name,
        "namespace": namespace,
        "labels": dict(template.get("metadata", {}).get("labels") or {}) | (extra_labels or {}),
    }
    annotations = template.get("metadata", {}).get("annotations")
    if annotations:
        meta["annotations"] = dict(annotations)
    if owner is not None:
        meta["ownerReferences"] = [owner_ref(owner)]
    spec = copy.deepcopy(template.get("spec") or {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("tolerations", default_tolerations())
    for c in spec.get("containers", []):
        c.setdefault("imagePullPolicy", "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos_class(spec)},
    }


def default_tolerations() -> list[Obj]:
    return [
        {
            "key": f"node.kubernetes.io/{what}",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        }
        for what in ("not-ready", "unreachable")
    ]


def qos_class(spec: Obj) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers", [])]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    if all(r.get("limits") and r.get("requests") == r.get("limits") for r in resources):
        return "Guaranteed"
    return "Burstable"


def _condition(
    kind: str, status: bool, at: str, reason: str | None = None, message: str | None = None
) -> Obj:
    cond: Obj = {
        "type": kind,
        "status": "True" if status else "False",
        "lastProbeTime": None,
        "lastTransitionTime": at,
    }
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def unschedulable_status(pod: Obj, at: str, message: str) -> Obj:
    return {
        "phase": "Pending",
        "conditions": [_condition("PodScheduled", False, at, "Unschedulable", message)],
        "qosClass": pod["status"].get("qosClass", "BestEffort"),
    }


def pod_status(
    pod: Obj,
    state: str,
    at: str,
    node_index: int,
    host_ip: str,
    crash_container: str | None = None,
    pull_reason: str = "ImagePullBackOff",
) -> Obj:
    """The status a kubelet reports for a scheduled pod in `state`."""
    meta = pod["metadata"]
    key = f"{meta.get('namespace', '')}/{meta['name']}"
    containers = pod["spec"].get("containers", [])
    statuses = []
    all_ready = True
    for c in containers:
        name = c["name"]
        cs: Obj = {
            "name": name,
            "image": c["image"],
            "imageID": "",
            "restartCount": 0,
            "started": False,
            "ready": False,
            "state": {},
        }
        if state == "pending":
            cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
        elif state == "imagepull":
            pull_message = (
                f'Back-off pulling image "{c["image"]}"'
                if pull_reason == "ImagePullBackOff"
                else f'failed to pull and unpack image "{c["image"]}": not found'
            )
            cs["state"] = {"waiting": {"reason": pull_reason, "message": pull_message}}
        elif state in ("succeeded", "failed"):
            cs["containerID"] = container_id(key, name)
            cs["imageID"] = _image_id(c["image"])
            code = 0 if state == "succeeded" else 1
            cs["state"] = {
                "terminated": {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": at,
                    "finishedAt": at,
                    "containerID": cs["containerID"],
                }
            }
        elif state == "crashloop" and name == (crash_container or containers[0]["name"]):
            cs["containerID"] = container_id(key, name)
            cs["imageID"] = _image_id(c["image"])
            cs["restartCount"] = 14
            cs["state"] = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off 5m0s restarting failed container={name} "
                    f"pod={meta['name']}_{meta.get('namespace', '')}({meta.get('uid', '')})",
                }
            }
            cs["lastState"] = {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": at,
                    "finishedAt": at,
                    "containerID": cs["containerID"],
                }
            }
        else:
            cs["containerID"] = container_id(key, name)
            cs["imageID"] = _image_id(c["image"])
            cs["started"] = True
            cs["ready"] = True
            cs["state"] = {"running": {"startedAt": at}}
        all_ready = all_ready and cs["ready"]
        statuses.append(cs)
    statuses.sort(key=lambda s: s["name"])  # kubelet reports them sorted by name

    phase = {"succeeded": "Succeeded", "failed": "Failed"}.get(state)
    if phase is None:
        phase = "Pending" if state in ("pending", "imagepull") else "Running"
    ip = pod_ip(node_index, key)
    initialized = True
    ready = all_ready and phase == "Running"
    not_ready_reason = "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"
    unready = [s["name"] for s in statuses if not s["ready"]]
    message: str | None = None
    if not ready and phase in ("Running", "Pending"):
        message = f"containers with unready status: [{' '.join(unready)}]"
    conditions = [
        _condition("PodReadyToStartContainers", state != "pending", at),
        _condition("Initialized", initialized, at),
        _condition("Ready", ready, at, None if ready else not_ready_reason, message),
        _condition("ContainersReady", ready, at, None if ready else not_ready_reason, message),
        _condition("PodScheduled", True, at),
    ]
    status: Obj = {
        "phase": phase,
        "conditions": conditions,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": at,
        "containerStatuses": statuses,
        "qosClass": pod["status"].get("qosClass", "BestEffort"),
    }
    if state != "pending":  # ContainerCreating pods have no sandbox, hence no IP yet
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    return status


def _image_id(image: str) -> str:
    repo = image.split(":")[0]
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


# ---- workloads ---------------------------------------------------------------------------


def deployment(
    namespace: str,
    name: str,
    replicas: int,
    template: Obj,
    labels: dict[str, str],
    selector: dict[str, str],
) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(selector)},
            "template": copy.deepcopy(template),
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {},
    }


def replica_set(owner: Obj, template_hash: str, hash_label: str = "pod-template-hash") -> Obj:
    spec = owner["spec"]
    meta = owner["metadata"]
    template = copy.deepcopy(spec["template"])
    template.setdefault("metadata", {}).setdefault("labels", {})[hash_label] = template_hash
    selector = dict(spec["selector"].get("matchLabels") or {}) | {hash_label: template_hash}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta['name']}-{template_hash}",
            "namespace": meta["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(spec.get("replicas", 1)),
                "deployment.kubernetes.io/revision": "1",
            },
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": {
            "replicas": spec.get("replicas", 1),
            "selector": {"matchLabels": selector},
            "template": template,
        },
        "status": {},
    }


def workload_status(kind: str, replicas: int, ready: int, generation: int = 1) -> Obj:
    """Deployment/ReplicaSet/StatefulSet/Rollout status for `ready` of `replicas` ready pods."""
    status: Obj = {"observedGeneration": generation, "replicas": replicas}
    if ready:
        status["readyReplicas"] = ready
        status["availableReplicas"] = ready
    if kind in ("Deployment", "Rollout"):
        status["updatedReplicas"] = replicas
        if replicas - ready:
            status["unavailableReplicas"] = replicas - ready
        status["conditions"] = [
            {
                "type": "Available",
                "status": "True" if ready >= max(1, replicas - replicas // 4) else "False",
                "reason": "MinimumReplicasAvailable"
                if ready >= max(1, replicas - replicas // 4)
                else "MinimumReplicasUnavailable",
                "message": "Deployment has minimum availability."
                if ready
                else "Deployment does not have minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": "ReplicaSet has successfully progressed.",
            },
        ]
    if kind == "StatefulSet":
        status["currentReplicas"] = replicas
        status["updatedReplicas"] = replicas
    if kind == "ReplicaSet":
        status["fullyLabeledReplicas"] = replicas
    return status


def job_labels(job: Obj) -> dict[str, str]:
    name = job["metadata"]["name"]
    uid = job["metadata"]["uid"]
    return {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }


def secret_data(values: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64encode(str(v).encode()).decode() for k, v in values.items()}


def node(
    name: str,
    index: int,
    labels: dict[str, str] | None = None,
    unschedulable: bool = False,
    pods: int = 110,
) -> Obj:
    ip = f"192.168.49.{index + 2}"
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
            }
            | (labels or {}),
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
        "status": {
            "capacity": {"cpu": "4", "memory": "16331452Ki", "pods": str(pods)},
            "allocatable": {"cpu": "4", "memory": "16229052Ki", "pods": str(pods)},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.32.2",
                "containerRuntimeVersion": "containerd://1.7.24",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.1.0-28-amd64",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }
    if unschedulable:
        obj["spec"]["unschedulable"] = True
    return obj


def node_ip(node_obj: Obj) -> str:
    for addr in node_obj.get("status", {}).get("addresses", []):
        if addr.get("type") == "InternalIP":
            return str(addr["address"])
    return ""


def agent_port(pod: Obj) -> int | None:
    """The port a mirrord agent container in `pod` listens on (`-l N`), or None."""
    for c in pod.get("spec", {}).get("containers", []):
        if "mirrord" not in str(c.get("image", "")):
            continue
        args = [str(a) for a in (c.get("command") or [])[1:]] + [
            str(a) for a in c.get("args") or []
        ]
        for i, arg in enumerate(args):
            if arg in ("-l", "--port") and i + 1 < len(args) and args[i + 1].isdigit():
                return int(args[i + 1])
        return AGENT_DEFAULT_PORT
    return None
