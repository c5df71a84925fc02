"""The agent Job manifest, shaped as real mirrord creates it so the real agent
image runs unchanged. Pure: names, namespace rules and the manifest.

Targeted agents run privileged-enough on the target's node (host PID, the
runtime sockets under /host/run and /host/var, SYS_ADMIN/SYS_PTRACE/NET_ADMIN)
and get `targeted --container-id … --container-runtime …`; targetless agents
get none of that.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrord_ide.agent.resolve import ResolvedTarget
from mirrord_ide.agent.settings import AgentSettings
from mirrord_ide.errors import InvalidConfig
from mirrord_ide.names import RULE_HINTS, name_problem, show

AGENT_CONTAINER_PREFIX = "mirrord-agent-"
APP_LABEL = ("app", "mirrord")
SESSION_LABEL = "mirrord-ide/session"
SERVER_LABEL = "mirrord-ide/server"
OWNER_ANNOTATION = "mirrord-ide/owner"
HOSTNAME_LABEL = "kubernetes.io/hostname"
CAPABILITIES = ("SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN")
PORT_RANGE = (30000, 65535)

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_ALNUM = string.ascii_lowercase + string.digits


def check_dns1123_label(value: str, what: str) -> str:
    """Raise InvalidConfig unless `value` is a valid DNS-1123 label (namespaces, Job names),
    by the rule every other entry uses (`mirrord_ide.names`)."""
    why = name_problem(value, "label")
    if why is not None:
        raise InvalidConfig(
            f"{what} `{show(value)}` is not a valid name: {why}", hint=RULE_HINTS["label"]
        )
    return value


def check_label_value(value: str, what: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise InvalidConfig(f"{what} `{value}` is not a valid label value")
    return value


def agent_name(rng: random.Random | None = None) -> str:
    """`mirrord-agent-<10 lowercase alphanumerics>`, as mirrord names its Job and container."""
    rng = rng or random.SystemRandom()
    return AGENT_CONTAINER_PREFIX + "".join(rng.choice(_ALNUM) for _ in range(10))


def agent_port(rng: random.Random | None = None) -> int:
    rng = rng or random.SystemRandom()
    return rng.randint(*PORT_RANGE)


def choose_agent_namespace(
    *, requested: str | None, target_namespace: str, targetless: bool
) -> str:
    """The agent namespace: `requested` (already resolved as request
    `agentNamespace` > MIRRORD_AGENT_NAMESPACE > `agent.namespace`), else the
    target's namespace. Targetless agents always run in the target namespace,
    as mirrord ignores the agent namespace for them."""
    if targetless or not requested:
        return check_dns1123_label(target_namespace, "namespace")
    return check_dns1123_label(requested, "agent namespace")


@dataclass(frozen=True, slots=True)
class Owner:
    """Which server process created an agent, so a later server can tell
    whether that process is gone. Stored as JSON in an annotation."""

    server_id: str
    pid: int
    host: str
    boot_id: str
    start_time: str

    def to_annotation(self) -> str:
        return json.dumps(
            {
                "server": self.server_id,
                "pid": self.pid,
                "host": self.host,
                "boot": self.boot_id,
                "start": self.start_time,
            },
            separators=(",", ":"),
        )

    @staticmethod
    def from_annotation(text: str) -> Owner | None:
        try:
            data = json.loads(text)
            return Owner(
                server_id=str(data["server"]),
                pid=int(data["pid"]),
                host=str(data["host"]),
                boot_id=str(data.get("boot", "")),
                start_time=str(data.get("start", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """Everything the manifest depends on besides the config."""

    name: str
    namespace: str
    port: int
    session_id: str
    owner: Owner
    target: ResolvedTarget | None  # None: targetless
    node_hostname: str | None = None  # the node's kubernetes.io/hostname label, if known


def _agent_env(settings: AgentSettings, target: ResolvedTarget | None) -> list[dict[str, str]]:
    def flag(value: bool) -> str:
        return "true" if value else "false"

    env = {
        "RUST_LOG": settings.log_level,
        "MIRRORD_AGENT_STEALER_FLUSH_CONNECTIONS": flag(settings.flush_connections),
        "MIRRORD_AGENT_JSON_LOG": flag(settings.json_log),
        "MIRRORD_AGENT_PASSTHROUGH_MIRRORING": "true",
        "MIRRORD_MAX_BODY_BUFFER_SIZE": str(settings.max_body_buffer_size),
        "MIRRORD_MAX_BODY_BUFFER_TIMEOUT": str(settings.max_body_buffer_timeout),
        "MIRRORD_AGENT_HTTP_DETECTION_TIMEOUT": str(settings.http_detection_timeout),
        "MIRRORD_JAQ_TIME_LIMIT": str(settings.jaq_time_limit),
        "MIRRORD_AGENT_EXTERNAL_IP_FIX": flag(settings.external_ip_fix),
        "MIRRORD_AGENT_OVERRIDE_CACHE_CONTROL": flag(settings.override_cache_control),
    }
    if settings.nftables is not None:
        env["MIRRORD_AGENT_NFTABLES"] = flag(settings.nftables)
    if settings.dns.get("attempts") is not None:
        env["MIRRORD_AGENT_DNS_ATTEMPTS"] = str(settings.dns["attempts"])
    if settings.dns.get("timeout") is not None:
        env["MIRRORD_AGENT_DNS_TIMEOUT"] = str(settings.dns["timeout"])
    if target is not None and target.pod_ips:
        env["MIRRORD_AGENT_POD_IPS"] = ",".join(target.pod_ips)
    if settings.metrics:
        env["MIRRORD_AGENT_METRICS"] = settings.metrics
    if settings.inject_headers is not None:
        env["MIRRORD_AGENT_INJECT_HEADERS"] = flag(settings.inject_headers)
    if settings.clean_iptables_on_start is not None:
        env["MIRRORD_AGENT_CLEAN_IPTABLES_ON_START"] = flag(settings.clean_iptables_on_start)
    return [{"name": k, "value": v} for k, v in env.items()]


DEFAULT_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "1m", "memory": "1Mi"},
    "limits": {"cpu": "1", "memory": "100Mi"},
}


def build_agent_job(
    request: AgentRequest, settings: AgentSettings, rng: random.Random | None = None
) -> dict[str, Any]:
    """The batch/v1 Job manifest for one agent."""
    rng = rng or random.SystemRandom()
    check_dns1123_label(request.name, "agent name")
    check_dns1123_label(request.namespace, "agent namespace")
    check_label_value(request.session_id, "session id")
    check_label_value(request.owner.server_id, "server id")
    target = request.target

    labels: dict[str, str] = {**settings.labels, APP_LABEL[0]: APP_LABEL[1]}
    labels[SESSION_LABEL] = request.session_id
    labels[SERVER_LABEL] = request.owner.server_id
    annotations: dict[str, str] = dict(settings.annotations)
    annotations[OWNER_ANNOTATION] = request.owner.to_annotation()
    pod_annotations: dict[str, str] = {}
    if settings.disable_mesh_sidecar_injection:
        labels["kuma.io/sidecar-injection"] = "disabled"
        pod_annotations = {
            **settings.annotations,
            "sidecar.istio.io/inject": "false",
            "linkerd.io/inject": "disabled",
        }
        annotations.update(pod_annotations)
    for key, value in labels.items():
        check_label_value(value, f"label `{key}`")

    args = ["-l", str(request.port), "-t", str(settings.communication_timeout)]
    container: dict[str, Any] = {
        "name": request.name,
        "image": settings.image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": ["./mirrord-agent"],
        "args": args,
        "env": _agent_env(settings, target),
        "resources": settings.resources or DEFAULT_RESOURCES,
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [container],
    }
    node_selector = dict(settings.node_selector)
    if target is None:
        args.append("targetless")
    else:
        args += [
            "targeted",
            "--container-id",
            target.container_id,
            "--container-runtime",
            target.runtime,
        ]
        caps = [c for c in CAPABILITIES if c not in settings.disabled_capabilities]
        container["securityContext"] = {
            "runAsGroup": rng.randint(3000, 65535),
            "privileged": settings.privileged,
            "capabilities": {"add": caps},
        }
        container["volumeMounts"] = [
            {"name": "hostrun", "mountPath": "/host/run"},
            {"name": "hostvar", "mountPath": "/host/var"},
        ]
        pod_spec["hostPID"] = True
        pod_spec["volumes"] = [
            {"name": "hostrun", "hostPath": {"path": "/run"}},
            {"name": "hostvar", "hostPath": {"path": "/var"}},
        ]
        pod_spec["tolerations"] = (
            [dict(t) for t in settings.tolerations]
            if settings.tolerations is not None
            else [{"operator": "Exists"}]
        )
        if request.node_hostname:
            node_selector[HOSTNAME_LABEL] = request.node_hostname
        else:
            pod_spec["nodeName"] = target.node
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    if settings.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [dict(s) for s in settings.image_pull_secrets]
    if settings.service_account:
        pod_spec["serviceAccountName"] = settings.service_account
    if settings.priority_class:
        pod_spec["priorityClassName"] = settings.priority_class

    template_meta: dict[str, Any] = {"labels": dict(labels)}
    if pod_annotations:
        template_meta["annotations"] = pod_annotations
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": request.name,
            "namespace": request.namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": {
            "ttlSecondsAfterFinished": settings.ttl,
            "backoffLimit": 0,
            "template": {"metadata": template_meta, "spec": pod_spec},
        },
    }


def is_our_agent(obj: Mapping[str, Any]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(APP_LABEL[0]) == APP_LABEL[1] and SERVER_LABEL in labels
