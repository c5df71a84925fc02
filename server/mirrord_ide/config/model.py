"""The mirrord config file as pydantic models.

Every key real mirrord accepts, with its type and default; unknown keys are errors
(`extra="forbid"`, like mirrord's `deny_unknown_fields`). Unions pick their branch by
the JSON kind of the value (see `types.py`). `target` strings are kept as written: the
target grammar (`target_path.py`) checks them, so a bad path gets a precise message.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from .target_path import OBJECT_KEYS
from .types import (
    ARRAY,
    BOOLEAN,
    I32,
    INTEGER,
    OBJECT,
    STRING,
    U16,
    U32,
    U64,
    WRONG_KIND_ERROR,
    Bool,
    Port,
    PortOrList,
    Section,
    Str,
    StrMap,
    StrOrList,
    by_kind,
    json_kind,
)

IncomingMode = Literal["mirror", "steal", "off"]
FsMode = Literal["local", "localwithoverrides", "read", "write"]
ConcurrentSteal = Literal["override", "continue", "abort"]
TlsDeliveryProtocol = Literal["tcp", "tls"]
QueueMode = Literal["steal", "mirror"]

# ---------------------------------------------------------------------------- target


class TargetObject(Section):
    """A target written as an object: exactly one resource key, plus an optional container."""

    pod: Str | None = Field(default=None, description="Name of the pod to target.")
    deployment: Str | None = Field(
        default=None,
        description="Name of the deployment to target (one of its ready pods is used).",
    )
    rollout: Str | None = Field(default=None, description="Name of the Argo Rollout to target.")
    job: Str | None = Field(
        default=None, description="Name of the job to target (needs the operator)."
    )
    cron_job: Str | None = Field(
        default=None, description="Name of the cron job to target (needs the operator)."
    )
    stateful_set: Str | None = Field(
        default=None, description="Name of the stateful set to target (needs the operator)."
    )
    service: Str | None = Field(
        default=None, description="Name of the service to target (needs the operator)."
    )
    replica_set: Str | None = Field(
        default=None, description="Name of the replica set to target (needs the operator)."
    )
    labels: StrMap | None = Field(
        default=None,
        description="Label selector choosing the target's pods, as `key: value` pairs "
        "(needs the operator).",
    )
    container: Str | None = Field(
        default=None,
        description="Container inside the target's pod; mirrord picks one when omitted.",
    )

    @model_validator(mode="after")
    def _one_resource(self) -> TargetObject:
        named = [k for k in OBJECT_KEYS if getattr(self, k) is not None]
        if len(named) != 1:
            keys = ", ".join(f"`{k}`" for k in OBJECT_KEYS)
            raise ValueError(f"a target object needs exactly one of {keys}")
        return self


TargetPathValue = Annotated[
    Annotated[Str, Tag(STRING)] | Annotated[TargetObject, Tag(OBJECT)],
    by_kind(STRING, OBJECT),
]


class TargetSpec(Section):
    """The `{"path", "namespace"}` form of `target`."""

    path: TargetPathValue | None = Field(
        default=None,
        description='What to impersonate: "targetless", a path such as '
        '"deployment/api/container/app", or a target object. Absent means targetless.',
    )
    namespace: Str | None = Field(
        default=None,
        description="Namespace of the target; defaults to the kube context's namespace.",
    )


_TARGET_TAG_SPEC = "<target-spec>"
_TARGET_TAG_OBJECT = "<target-object>"


def _target_branch(value: Any) -> str | None:
    kind = json_kind(value)
    if kind == STRING:
        return STRING
    if kind != OBJECT:
        return None
    if isinstance(value, TargetSpec):
        return _TARGET_TAG_SPEC
    if isinstance(value, TargetObject):
        return _TARGET_TAG_OBJECT
    # Mirrord tries the bare object first; a resource key marks it.
    if isinstance(value, dict) and any(k in OBJECT_KEYS for k in value):
        return _TARGET_TAG_OBJECT
    return _TARGET_TAG_SPEC


TargetValue = Annotated[
    Annotated[Str, Tag(STRING)]
    | Annotated[TargetSpec, Tag(_TARGET_TAG_SPEC)]
    | Annotated[TargetObject, Tag(_TARGET_TAG_OBJECT)],
    Discriminator(
        _target_branch,
        custom_error_type=WRONG_KIND_ERROR,
        custom_error_message="value has the wrong type",
    ),
]

# ----------------------------------------------------------------------------- agent


class AgentImage(Section):
    """The agent image given as registry and tag."""

    registry: Str | None = Field(default=None, description="Registry and repository of the image.")
    tag: Str | None = Field(default=None, description="Image tag; defaults to the CLI's version.")


AgentImageValue = Annotated[
    Annotated[Str, Tag(STRING)] | Annotated[AgentImage, Tag(OBJECT)],
    by_kind(STRING, OBJECT),
]


class AgentPullSecret(Section):
    name: Str = Field(description="Name of an image pull secret in the agent's namespace.")


class AgentDns(Section):
    """How the agent resolves DNS for the local app."""

    attempts: U32 | None = Field(default=None, description="How many times a DNS query is tried.")
    timeout: U32 | None = Field(
        default=None, description="Seconds to wait for a DNS answer (resolver default: 1)."
    )


class SecurityProfile(Section):
    type: Str = Field(
        description="Profile type, e.g. `RuntimeDefault`, `Localhost` or `Unconfined`."
    )
    localhost_profile: Str | None = Field(
        default=None, description="Profile file on the node, for the `Localhost` type."
    )


class SecurityContext(Section):
    """Security profiles applied to the agent pod (not to ephemeral agents)."""

    app_armor_profile: SecurityProfile | None = Field(default=None, description="AppArmor profile.")
    seccomp_profile: SecurityProfile | None = Field(default=None, description="Seccomp profile.")


class ResourceClaim(Section):
    name: Str = Field(description="Name of a resource claim of the pod.")
    request: Str | None = Field(default=None, description="Request inside that claim.")


Quantity = Annotated[
    Annotated[Str, Tag(STRING)] | Annotated[int, Tag(INTEGER)] | Annotated[float, Tag("<number>")],
    by_kind(STRING, INTEGER, "<number>"),
]


class ResourceRequirements(Section):
    """Kubernetes resource requests and limits for the agent container."""

    claims: list[ResourceClaim] | None = Field(default=None, description="Dynamic resource claims.")
    limits: dict[str, Quantity] | None = Field(
        default=None, description='Maximum resources, e.g. `{"cpu": "1", "memory": "100Mi"}`.'
    )
    requests: dict[str, Quantity] | None = Field(
        default=None, description='Guaranteed resources, e.g. `{"cpu": "1m", "memory": "1Mi"}`.'
    )


class Toleration(Section):
    """A Kubernetes toleration for the agent pod."""

    key: Str | None = Field(default=None, description="Taint key the toleration matches.")
    operator: Str | None = Field(default=None, description="`Exists` or `Equal` (the default).")
    value: Str | None = Field(default=None, description="Taint value to match with `Equal`.")
    effect: Str | None = Field(
        default=None,
        description="Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute.",
    )
    tolerationSeconds: int | None = Field(  # noqa: N815 (Kubernetes spelling)
        None, description="How long a NoExecute taint is tolerated before eviction."
    )


class AgentConfig(Section):
    """The mirrord agent: the pod (or ephemeral container) that works inside the cluster."""

    namespace: Str | None = Field(
        default=None,
        description="Namespace the agent pod is created in; defaults to the kube context's "
        "namespace. Ignored for targetless runs and ephemeral agents.",
    )
    image: AgentImageValue | None = Field(
        default=None,
        description="Agent image, as a full reference or `{registry, tag}`; defaults to "
        "ghcr.io/metalbear-co/mirrord at the CLI's version.",
    )
    image_pull_policy: Str = Field(
        default="IfNotPresent", description="When to pull the image: IfNotPresent, Always or Never."
    )
    image_pull_secrets: list[AgentPullSecret] | None = Field(
        default=None, description='Secrets used to pull the agent image, as `[{"name": ...}]`.'
    )
    ttl: U16 = Field(
        default=1, description="Seconds the agent's job is kept after the agent exits."
    )
    ephemeral: Bool = Field(
        default=False,
        description="Run the agent as an ephemeral container in the target pod; "
        "not possible without a target.",
    )
    communication_timeout: U16 | None = Field(
        default=None,
        description="Seconds the agent waits for a client before exiting (agent default: 30).",
    )
    startup_timeout: U64 = Field(
        default=60, description="Seconds to wait for the agent to become ready before giving up."
    )
    flush_connections: Bool = Field(
        default=True,
        description="Drop connections that already exist when stealing starts, so new "
        "ones get stolen.",
    )
    disabled_capabilities: list[Str] | None = Field(
        default=None,
        description="Linux capabilities to withhold from the agent "
        "(it uses NET_ADMIN, SYS_PTRACE and SYS_ADMIN).",
    )
    tolerations: list[Toleration] | None = Field(
        default=None,
        description="Tolerations of the agent pod; by default it tolerates every taint.",
    )
    resources: ResourceRequirements | None = Field(
        default=None,
        description="Resource requests and limits of the agent container "
        "(default: requests 1m CPU/1Mi, limits 1 CPU/100Mi).",
    )
    check_out_of_pods: Bool = Field(
        default=True,
        description="Check that the target's node has room for one more pod before "
        "creating the agent.",
    )
    privileged: Bool = Field(
        default=False,
        description="Run the agent container privileged (some hardened nodes need it).",
    )
    json_log: Bool = Field(
        default=False, description="Make the agent log JSON instead of plain text."
    )
    log_level: Str | None = Field(
        default=None, description="Agent log filter, e.g. `info` or `mirrord=debug,warn`."
    )
    labels: StrMap | None = Field(
        default=None, description="Extra labels for the agent's job and pod."
    )
    annotations: StrMap | None = Field(
        default=None, description="Extra annotations for the agent's job and pod."
    )
    node_selector: StrMap | None = Field(
        default=None,
        description="Node selector for targetless agents (a targeted agent runs on its "
        "target's node).",
    )
    service_account: Str | None = Field(
        default=None, description="Service account the agent pod runs as."
    )
    priority_class: Str | None = Field(
        default=None, description="Priority class of the agent pod, to help it get scheduled."
    )
    security_context: SecurityContext | None = Field(
        default=None, description="Seccomp and AppArmor profiles for the agent pod."
    )
    disable_mesh_sidecar_injection: Bool = Field(
        default=True,
        description="Label and annotate the agent so Istio, Linkerd and Kuma do not inject "
        "their sidecars into it.",
    )
    exclude_from_mesh: Bool = Field(
        default=False,
        description="For ephemeral agents: keep the agent's port out of the mesh sidecar.",
    )
    clean_iptables_on_start: Bool = Field(
        default=False,
        description="Remove iptables rules left by an earlier agent instead of failing.",
    )
    nftables: Bool | None = Field(
        default=None,
        description="Use iptables-nft (true) or iptables-legacy (false); detected when unset.",
    )
    dns: AgentDns | None = Field(default=None, description="DNS resolution settings of the agent.")
    metrics: Str | None = Field(
        default=None, description="Address for the agent's Prometheus metrics, e.g. `0.0.0.0:9000`."
    )
    inject_headers: Bool = Field(
        default=False,
        description="Add a `Mirrord-Agent` header to HTTP responses that went through the agent.",
    )
    override_cache_control: Bool | None = Field(
        default=None,
        description="Replace `Cache-Control` of responses that went through the agent so "
        "they are not cached.",
    )
    max_body_buffer_size: U32 | None = Field(
        default=None, description="Largest HTTP body (bytes) buffered for body filters."
    )
    max_body_buffer_timeout: U32 | None = Field(
        default=None, description="Milliseconds to wait for an HTTP body for body filters."
    )
    http_detection_timeout: U64 | None = Field(
        default=None,
        description="Seconds to wait for data when telling HTTP from raw TCP on a "
        "redirected connection.",
    )
    jaq_time_limit: U64 = Field(
        default=500, description="Time limit for jq filters, in milliseconds."
    )
    external_ip_fix: Bool | None = Field(
        default=None,
        description="Pass redirected connections to the pod's own IP, for apps that listen "
        "on it rather than on loopback.",
    )


# ------------------------------------------------------------------------ feature.env


class EnvConfig(Section):
    """Which environment variables of the target the local process gets."""

    include: StrOrList | None = Field(
        default=None,
        description="Take only these remote variables (`*` and `?` wildcards, `;`-separated "
        "or an array). Exclusive with `exclude`.",
    )
    exclude: StrOrList | None = Field(
        default=None,
        description="Take every remote variable except these (wildcards allowed). "
        "Exclusive with `include`.",
    )
    override: StrMap | None = Field(
        default=None, description="Variables to set locally, replacing the remote values."
    )
    unset: StrOrList | None = Field(
        default=None, description="Variables removed from the process environment."
    )
    env_file: Str | None = Field(
        default=None, description="A .env file whose variables override the remote ones."
    )
    load_from_process: Bool | None = Field(
        default=None,
        description="Fetch the remote variables after the process starts (a workaround "
        "for some IDE set-ups).",
    )
    mapping: StrMap | None = Field(
        default=None,
        description="Regex patterns over variable names mapped to replacement values.",
    )


EnvValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)] | Annotated[EnvConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, OBJECT),
]

# ------------------------------------------------------------------------- feature.fs


class FsConfig(Section):
    """File operations, with per-pattern overrides of the mode."""

    mode: FsMode = Field(
        default="read",
        description="Default for file access: `local`, `localwithoverrides`, `read` "
        "(remote reads, local writes) or `write` (remote reads and writes).",
    )
    read_write: StrOrList | None = Field(
        default=None, description="Path regexes read and written on the target."
    )
    read_only: StrOrList | None = Field(
        default=None,
        description="Path regexes read from the target (opened for writing: local).",
    )
    local: StrOrList | None = Field(default=None, description="Path regexes always opened locally.")
    not_found: StrOrList | None = Field(
        default=None, description="Path regexes that are reported as not existing."
    )
    mapping: StrMap | None = Field(
        default=None,
        description="Path regexes mapped to replacement paths (capture groups allowed).",
    )
    readonly_file_buffer: U64 | None = Field(
        default=None,
        description="Read buffer for remote read-only files in bytes (default 128000; "
        "0 disables buffering).",
    )


FsValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)]
    | Annotated[FsMode, Tag(STRING)]
    | Annotated[FsConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, STRING, OBJECT),
]

# -------------------------------------------------------------------- feature.network


class BodyFilter(Section):
    """Match a request on its JSON body."""

    body: Literal["json"] = Field(description="Body format; only `json` is supported.")
    query: Str = Field(description="JSONPath query selecting values in the body.")
    matches: Str = Field(description="Regex the selected values must match.")


class InnerFilter(Section):
    """One entry of `all_of`/`any_of`: a header, path, method, query or body filter."""

    header: Str | None = Field(default=None, description="Regex over `Header-Name: value` lines.")
    path: Str | None = Field(default=None, description="Regex over the request path.")
    method: Str | None = Field(default=None, description="HTTP method to match.")
    query: Str | None = Field(default=None, description="A jq or JSONPath query.")
    body: Literal["json"] | None = Field(default=None, description="Body format for a body filter.")
    matches: Str | None = Field(default=None, description="Regex for a body filter's values.")

    @model_validator(mode="after")
    def _one_kind(self) -> InnerFilter:
        if self.body is not None:
            if self.query is None or self.matches is None:
                raise ValueError("a body filter needs `body`, `query` and `matches`")
            if any(v is not None for v in (self.header, self.path, self.method)):
                raise ValueError("a body filter takes only `body`, `query` and `matches`")
            return self
        if self.matches is not None:
            raise ValueError("`matches` belongs to a body filter (`body`, `query`, `matches`)")
        set_keys = [
            k for k in ("header", "path", "method", "query") if getattr(self, k) is not None
        ]
        if len(set_keys) != 1:
            raise ValueError(
                "each filter needs exactly one of `header`, `path`, `method`, `query` "
                "or a body filter"
            )
        return self


class HttpFilter(Section):
    """Which HTTP requests are stolen (only matching requests go to the local app)."""

    header_filter: Str | None = Field(
        default=None, description="Regex over `Header-Name: value` lines, case-insensitive."
    )
    header_filter_jq: Str | None = Field(
        default=None, description="jq expression evaluated on each header; true means a match."
    )
    path_filter: Str | None = Field(
        default=None,
        description="Regex over the path (with and without the query), case-insensitive.",
    )
    method_filter: Str | None = Field(default=None, description="HTTP method to match.")
    body_filter: BodyFilter | None = Field(
        default=None, description="Match on values selected from a JSON body."
    )
    all_of: list[InnerFilter] | None = Field(
        default=None, description="Filters that must all match; must not be empty."
    )
    any_of: list[InnerFilter] | None = Field(
        default=None, description="Filters of which at least one must match; must not be empty."
    )
    ports: PortOrList | None = Field(
        default=None, description="Ports the filter applies to; all ports when absent."
    )


HttpFilterValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)] | Annotated[HttpFilter, Tag(OBJECT)],
    by_kind(BOOLEAN, OBJECT),
]


class TlsDelivery(Section):
    """How stolen TLS traffic is delivered to the local app (operator only)."""

    protocol: TlsDeliveryProtocol = Field(
        description="`tcp` (plain) or `tls` to the local application."
    )
    trust_roots: list[Str] | None = Field(
        default=None,
        description="PEM files or folders with the roots trusted for the local server.",
    )
    server_name: Str | None = Field(
        default=None, description="Server name used for the connection."
    )
    server_cert: Str | None = Field(
        default=None, description="PEM file with the local server's certificate chain."
    )


PortPair = tuple[Port, Port]


class IncomingConfig(Section):
    """Incoming traffic: mirror it, steal it, or leave it alone."""

    mode: IncomingMode = Field(
        default="mirror",
        description="`mirror` copies traffic to the local app, `steal` takes it away from "
        "the target, `off` disables incoming traffic.",
    )
    http_filter: HttpFilterValue | None = Field(
        default=None, description="Steal only the HTTP requests that match."
    )
    port_mapping: list[PortPair] | None = Field(
        default=None, description="`[local, remote]` pairs: a local port receives a remote port."
    )
    listen_ports: list[PortPair] | None = Field(
        default=None, description="`[remote, local]` pairs: the local port actually listened on."
    )
    ignore_localhost: Bool = Field(
        default=False, description="Ignore sockets listening on localhost."
    )
    ignore_ports: list[Port] | None = Field(
        default=None, description="Ports left local. Exclusive with `ports`."
    )
    ports: list[Port] | None = Field(
        default=None,
        description="Only these ports are mirrored or stolen. Exclusive with `ignore_ports`.",
    )
    on_concurrent_steal: ConcurrentSteal | None = Field(
        default=None,
        description="Operator only: what to do when someone else steals the same target: "
        "`abort`, `continue` or `override`.",
    )
    tls_delivery: TlsDelivery | None = Field(
        default=None, description="Operator only: how stolen TLS traffic reaches the local app."
    )
    https_delivery: TlsDelivery | None = Field(
        default=None,
        description="Deprecated name of `tls_delivery`.",
        json_schema_extra={"deprecated": True},
    )


IncomingValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)]
    | Annotated[IncomingMode, Tag(STRING)]
    | Annotated[IncomingConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, STRING, OBJECT),
]


class RemoteFilter(Section):
    remote: StrOrList = Field(
        description="Addresses sent through the target (e.g. `tcp://1.1.1.0/24:1337`)."
    )


class LocalFilter(Section):
    local: StrOrList = Field(description="Addresses sent from the local machine.")


class TrafficFilter(Section):
    """Either `remote` or `local`: which addresses go through the target."""

    remote: StrOrList | None = Field(
        default=None, description="Only these addresses go through the target."
    )
    local: StrOrList | None = Field(
        default=None, description="These addresses stay local; the rest go through the target."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> TrafficFilter:
        if (self.remote is None) == (self.local is None):
            raise ValueError("a filter needs exactly one of `remote` or `local`")
        return self


class OutgoingConfig(Section):
    """Outgoing connections of the local app, sent from the target."""

    tcp: Bool = Field(default=True, description="Send outgoing TCP through the target.")
    udp: Bool = Field(default=True, description="Send outgoing UDP through the target.")
    ignore_localhost: Bool = Field(
        default=False, description="Keep connections to localhost local."
    )
    filter: TrafficFilter | None = Field(
        default=None, description="Choose which destinations go through the target or stay local."
    )
    unix_streams: StrOrList | None = Field(
        default=None, description="Regexes of unix socket paths connected on the target."
    )


OutgoingValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)] | Annotated[OutgoingConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, OBJECT),
]


class DnsConfig(Section):
    """DNS resolution through the target."""

    enabled: Bool = Field(default=True, description="Resolve names through the target.")
    filter: TrafficFilter | None = Field(
        default=None, description="Names resolved remotely (`remote`) or locally (`local`)."
    )


DnsValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)] | Annotated[DnsConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, OBJECT),
]


class NetworkConfig(Section):
    """Network traffic: incoming, outgoing and DNS."""

    incoming: IncomingValue = Field(
        default_factory=lambda: IncomingConfig(),
        description='Incoming traffic: `"mirror"` (default), `"steal"`, `"off"` or an '
        "object with `mode`, filters and port settings.",
    )
    outgoing: OutgoingValue = Field(
        default_factory=lambda: OutgoingConfig(),
        description="Outgoing traffic from the local app, sent from the target.",
    )
    dns: DnsValue = Field(
        default_factory=lambda: DnsConfig(), description="Resolve DNS through the target."
    )
    ipv6: Bool = Field(default=True, description="Allow IPv6 sockets.")


NetworkValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)] | Annotated[NetworkConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, OBJECT),
]

# ---------------------------------------------------------------- rarer feature parts


class CopyTargetConfig(Section):
    """Run against a copy of the target (operator only)."""

    enabled: Bool = Field(default=False, description="Turn copy_target on.")
    scale_down: Bool = Field(
        default=False, description="Scale the original workload to 0 while the copy lives."
    )
    exclude_containers: list[Str] | None = Field(default=None, description="Containers not copied.")
    exclude_init_containers: list[Str] | None = Field(
        default=None, description="Init containers not copied."
    )


CopyTargetValue = Annotated[
    Annotated[Bool, Tag(BOOLEAN)] | Annotated[CopyTargetConfig, Tag(OBJECT)],
    by_kind(BOOLEAN, OBJECT),
]


class MagicConfig(Section):
    """Defaults that help most users; each can be switched off."""

    aws: Bool = Field(
        default=True, description="Leave AWS credential variables to the local machine."
    )
    auto_mount: Bool = Field(default=True, description="Read well-known mounted paths remotely.")
    turbo: Bool = Field(default=True, description="Speed-ups for common runtimes.")


class KafkaPayloadProtobuf(Section):
    message_type: Str = Field(description="Fully qualified protobuf message type.")
    schema_file: Str | None = Field(default=None, description="The .proto file.")
    descriptor_base64: Str | None = Field(default=None, description="A base64 file descriptor set.")
    include_directories: list[Str] | None = Field(default=None, description="Import directories.")


class QueueFilter(Section):
    """Filter for one queue of the target (operator only)."""

    queue_type: Literal[
        "SQS", "Kafka", "RMQ", "GCPPubSub", "RedisPubSub", "AzureServiceBus", "Temporal", "BullMQ"
    ] = Field(description="Kind of queue.")
    queue_id: Str | None = Field(default=None, description="Queue name, in the array form.")
    queue_mode: QueueMode | None = Field(default=None, description="`steal` or `mirror` messages.")
    message_filter: StrMap | None = Field(
        default=None, description="Message attribute names mapped to regexes."
    )
    jq_filter: Str | None = Field(default=None, description="jq expression over the message.")
    payload_protobuf: KafkaPayloadProtobuf | None = Field(
        default=None, description="How to decode protobuf Kafka payloads."
    )


SplitQueuesValue = Annotated[
    Annotated[dict[str, QueueFilter], Tag(OBJECT)] | Annotated[list[QueueFilter], Tag(ARRAY)],
    by_kind(OBJECT, ARRAY),
]


class DbBranch(Section):
    """One database branch (operator only); the keys depend on `type`."""

    type: Literal[
        "clickhouse",
        "cockroachdb",
        "dynamodb",
        "generic",
        "mariadb",
        "mongodb",
        "mssql",
        "mysql",
        "pg",
        "redis",
        "spanner",
    ] = Field(description="Database engine.")
    connection: dict[str, Any] | None = Field(
        default=None, description="Where the target reads its connection settings."
    )
    copy_: dict[str, Any] | None = Field(
        default=None,
        alias="copy",
        description="What is copied into the branch (`mode`, tables...).",
    )
    id: Str | None = Field(default=None, description="Branch id, to reuse a branch.")
    name: Str | None = Field(default=None, description="Database name.")
    version: Str | None = Field(default=None, description="Engine version.")
    image: Str | None = Field(default=None, description="Container image of the branch database.")
    profile: Str | None = Field(default=None, description="Profile name.")
    ttl_mins: U64 | None = Field(default=None, description="Minutes the branch lives.")
    ttl_secs: U64 | None = Field(default=None, description="Seconds the branch lives.")
    creation_timeout_secs: U64 = Field(
        default=60, description="Seconds allowed to create the branch."
    )
    migrations: dict[str, Any] | None = Field(default=None, description="Migrations to run.")
    iam_auth: dict[str, Any] | None = Field(default=None, description="Cloud IAM authentication.")
    connection_settings: StrMap | None = Field(
        default=None, description="Extra connection settings."
    )
    query_params: StrMap | None = Field(default=None, description="Extra URL query parameters.")
    emulator_host: Str | None = Field(default=None, description="Spanner emulator host variable.")
    args: list[Str] | None = Field(default=None, description="Container arguments (generic).")
    command: list[Str] | None = Field(default=None, description="Container command (generic).")
    env: StrMap | None = Field(default=None, description="Container environment (generic).")
    port: U16 | None = Field(default=None, description="Database port (generic).")
    readiness: dict[str, Any] | None = Field(default=None, description="Readiness check (generic).")
    location: Literal["local", "remote"] | None = Field(
        default=None, description="Redis: a local or a remote branch."
    )
    local: dict[str, Any] | None = Field(default=None, description="Redis: local server settings.")


class ConfigMount(Section):
    mount_at: Str = Field(description="Path the payload is mounted at.")
    from_file: Str | None = Field(default=None, description="Local file with the payload.")
    payload: Str | None = Field(default=None, description="Inline payload.")
    type: Literal["text", "binary"] | None = Field(default=None, description="`text` or `binary`.")


class PreviewIdle(Section):
    sleep_after_secs: U64 | None = Field(default=None, description="Idle seconds before sleeping.")
    start_idle: Bool | None = Field(default=None, description="Start asleep.")
    wake_timeout_secs: U64 | None = Field(default=None, description="Seconds allowed to wake up.")


class PreviewLabels(Section):
    include: StrOrList | None = Field(default=None, description="Labels copied to the preview.")
    exclude: StrOrList | None = Field(default=None, description="Labels not copied.")


PreviewTtl = Annotated[
    Annotated[U64, Tag(INTEGER)] | Annotated[Literal["infinite"], Tag(STRING)],
    by_kind(INTEGER, STRING),
]


class PreviewConfig(Section):
    """Preview environments (operator only)."""

    image: Str | None = Field(default=None, description="Image of the preview.")
    replicas: I32 | None = Field(default=None, description="Number of preview pods.")
    ttl_mins: PreviewTtl | None = Field(default=None, description="Minutes, or `infinite`.")
    ttl_secs: PreviewTtl | None = Field(default=None, description="Seconds, or `infinite`.")
    creation_timeout_secs: U64 | None = Field(default=None, description="Seconds allowed to start.")
    idle: PreviewIdle | None = Field(default=None, description="Sleep when idle.")
    labels: PreviewLabels | None = Field(default=None, description="Labels copied from the target.")
    config_mounts: list[ConfigMount] | None = Field(default=None, description="Files mounted.")
    secret_mounts: list[ConfigMount] | None = Field(default=None, description="Secrets mounted.")


class FeatureConfig(Section):
    """What mirrord does for the local process: env, files, network and more."""

    env: EnvValue = Field(
        default_factory=lambda: EnvConfig(),
        description="Remote environment variables: `true`/`false` or an object with "
        "`include`, `exclude`, `override`...",
    )
    fs: FsValue = Field(
        default_factory=lambda: FsConfig(),
        description='File operations: `"read"` (default), `"write"`, `"local"`, '
        '`"localwithoverrides"`, a boolean, or an object with `mode` and patterns.',
    )
    network: NetworkValue = Field(
        default_factory=lambda: NetworkConfig(),
        description="Network traffic: incoming, outgoing, DNS and IPv6.",
    )
    copy_target: CopyTargetValue = Field(
        default_factory=lambda: CopyTargetConfig(),
        description="Run against a copy of the target (needs the operator).",
    )
    hostname: Bool = Field(default=True, description="Report the target pod's hostname.")
    magic: MagicConfig | None = Field(
        default=None, description="Helpful defaults; each can be disabled."
    )
    split_queues: SplitQueuesValue | None = Field(
        default=None, description="Consume only matching queue messages (needs the operator)."
    )
    db_branches: list[DbBranch] | None = Field(
        default=None, description="Database branches for the session (needs the operator)."
    )
    preview: PreviewConfig | None = Field(
        default=None, description="Preview environment settings (needs the operator)."
    )


# ---------------------------------------------------------------------- other roots


class StartupRetryConfig(Section):
    """Retries of Kubernetes API requests during start-up."""

    min_ms: U64 = Field(default=500, description="Shortest wait between retries, in milliseconds.")
    max_ms: U64 = Field(default=5000, description="Longest wait between retries, in milliseconds.")
    max_retries: U32 = Field(default=2, description="How many retries; 0 disables them.")


class InternalProxyConfig(Section):
    """The local proxy between the app and the agent."""

    start_idle_timeout: U64 | None = Field(
        default=None, description="Seconds to wait for the first connection."
    )
    idle_timeout: U64 | None = Field(
        default=None, description="Seconds to stay up with no connections."
    )
    socket_timeout: U64 | None = Field(default=None, description="Socket timeout in seconds.")
    ping_interval: U64 | None = Field(
        default=None, description="Seconds between pings to the agent."
    )
    process_logging_interval: U64 | None = Field(
        default=None, description="Seconds between logs about connected processes."
    )
    log_level: Str | None = Field(default=None, description="Log filter, e.g. `mirrord=trace`.")
    log_destination: Str | None = Field(default=None, description="Log file or folder.")
    json_log: Bool | None = Field(default=None, description="Log JSON (default true).")


class ExternalProxyConfig(Section):
    """The proxy used by `mirrord container` outside the container."""

    start_idle_timeout: U64 | None = Field(
        default=None, description="Seconds to wait for the first connection."
    )
    idle_timeout: U64 | None = Field(
        default=None, description="Seconds to stay up with no connections."
    )
    host_ip: Str | None = Field(default=None, description="Address to listen on.")
    log_level: Str | None = Field(default=None, description="Log filter.")
    log_destination: Str | None = Field(default=None, description="Log file or folder.")
    json_log: Bool | None = Field(default=None, description="Log JSON (default true).")
    tls_enable: Bool | None = Field(default=None, description="Use TLS towards the internal proxy.")


class ContainerConfig(Section):
    """Settings of `mirrord container`."""

    cli_image: Str | None = Field(default=None, description="Image of the mirrord CLI sidecar.")
    cli_extra_args: list[Str] | None = Field(
        default=None, description="Extra arguments for the sidecar container."
    )
    cli_prevent_cleanup: Bool | None = Field(
        default=None, description="Keep the sidecar afterwards."
    )
    cli_image_lib_path: Str | None = Field(
        default=None, description="Path of the layer in the image."
    )
    cli_tls_path: Str | None = Field(
        default=None, description="Where the TLS certificate is written."
    )
    override_host_ip: Str | None = Field(
        default=None, description="Host address seen from the container."
    )
    host_gateway_detection: Bool | None = Field(
        default=None, description="Reach the host through the runtime's host gateway."
    )
    platform: Str | None = Field(default=None, description="Platform, e.g. `linux/amd64`.")


class LatencyConfig(Section):
    transmit_delay: U64 | None = Field(default=None, description="Milliseconds added to sends.")
    receive_delay: U64 | None = Field(default=None, description="Milliseconds added to receives.")


class AppleVariables(Section):
    """Apple-specific process variables (macOS); no keys yet."""


class ExperimentalConfig(Section):
    """Experimental switches; they may change between releases."""

    tcp_ping4_mock: Bool | None = Field(default=None, description="Fake ICMP ping over TCP.")
    trust_any_certificate: Bool | None = Field(
        default=None, description="macOS: trust any certificate."
    )
    enable_exec_hooks_linux: Bool | None = Field(default=None, description="Hook exec on Linux.")
    hide_ipv6_interfaces: Bool | None = Field(default=None, description="Hide IPv6 interfaces.")
    disable_reuseaddr: Bool | None = Field(default=None, description="Do not set SO_REUSEADDR.")
    use_dev_null: Bool | None = Field(default=None, description="Use /dev/null for fake files.")
    idle_local_http_connection_timeout: U64 | None = Field(
        default=None, description="Milliseconds an idle local HTTP connection is kept."
    )
    browser_extension_config: Bool | None = Field(
        default=None, description="Open the browser extension set-up URL."
    )
    ignore_system_proxy_config: Bool | None = Field(
        default=None, description="Ignore the system proxy for the app."
    )
    dlopen_cgo: Bool | None = Field(
        default=None, description="Support Go libraries loaded by dlopen."
    )
    go_asmcgocall: Bool | None = Field(default=None, description="Go hook through asmcgocall.")
    guard_std_fds: Bool | None = Field(default=None, description="Keep fds 0-2 open.")
    sip_log_destination: Str | None = Field(
        default=None, description="macOS SIP patching log file."
    )
    applev: AppleVariables | None = Field(default=None, description="macOS apple variables.")
    latency: LatencyConfig | None = Field(
        default=None,
        description="Deprecated: artificial latency.",
        json_schema_extra={"deprecated": True},
    )
    non_blocking_tcp_connect: Bool | None = Field(
        default=None, description="Deprecated.", json_schema_extra={"deprecated": True}
    )
    sip_utils: Bool | None = Field(
        default=None, description="Deprecated.", json_schema_extra={"deprecated": True}
    )


class CiConfig(Section):
    """Settings of `mirrord ci`."""

    output_dir: Str | None = Field(
        default=None, description="Folder for CI output (default /tmp/mirrord/)."
    )


class MirrordConfig(Section):
    """A mirrord config file."""

    target: TargetValue | None = Field(
        default=None,
        description='What to impersonate: "targetless", a path like "pod/x/container/c", '
        'a target object, or `{"path", "namespace"}`. When absent the IDE asks.',
    )
    agent: AgentConfig = Field(
        default_factory=lambda: AgentConfig(),
        description="The agent pod mirrord runs in the cluster.",
    )
    feature: FeatureConfig = Field(
        default_factory=lambda: FeatureConfig(),
        description="What is taken from the target: environment, files, network...",
    )
    operator: Bool | None = Field(
        default=None,
        description="Use the mirrord operator; unset means try it and go on without it.",
    )
    kubeconfig: Str | None = Field(
        default=None, description="kubeconfig file; defaults to KUBECONFIG or ~/.kube/config."
    )
    kube_context: Str | None = Field(
        default=None, description="kubeconfig context; defaults to the current context."
    )
    accept_invalid_certificates: Bool | None = Field(
        default=None,
        description="Accept self-signed or invalid cluster certificates; unset follows "
        "the kubeconfig.",
    )
    use_proxy: Bool = Field(
        default=True, description="Honour HTTP(S)_PROXY for mirrord's own requests."
    )
    telemetry: Bool = Field(default=True, description="Send anonymous usage data.")
    key: Str | None = Field(
        default=None, description="Session key, usable as `{{ key }}` in the config."
    )
    profile: Str | None = Field(
        default=None, description="mirrord profile to apply (`name` or `namespace/name`)."
    )
    skip_processes: StrOrList | None = Field(
        default=None, description="Processes mirrord does not load into."
    )
    skip_build_tools: Bool = Field(default=True, description="Do not load into common build tools.")
    skip_extra_build_tools: StrOrList | None = Field(
        default=None, description="More build tools to skip (with `skip_build_tools`)."
    )
    skip_sip: StrOrList | None = Field(
        default=None, description="macOS: binaries not SIP-patched (default `git`)."
    )
    sip_binaries: StrOrList | None = Field(
        default=None, description="macOS: extra binaries to SIP-patch."
    )
    startup_retry: StartupRetryConfig = Field(
        default_factory=lambda: StartupRetryConfig(),
        description="Retries of Kubernetes API requests during start-up.",
    )
    internal_proxy: InternalProxyConfig = Field(
        default_factory=lambda: InternalProxyConfig(), description="The local proxy process."
    )
    external_proxy: ExternalProxyConfig = Field(
        default_factory=lambda: ExternalProxyConfig(),
        description="The proxy used with `mirrord container`.",
    )
    container: ContainerConfig = Field(
        default_factory=lambda: ContainerConfig(), description="Settings of `mirrord container`."
    )
    experimental: ExperimentalConfig = Field(
        default_factory=lambda: ExperimentalConfig(), description="Experimental switches."
    )
    ci: CiConfig | None = Field(default=None, description="Settings of `mirrord ci`.")
    multi_cluster: Bool | None = Field(
        default=None, description="Allow multi-cluster sessions through a primary operator."
    )
    api: Bool = Field(default=True, description="Expose the local session monitor socket.")
    baggage: Str | None = Field(default=None, description="W3C baggage sent to the operator.")
    traceparent: Str | None = Field(
        default=None, description="W3C trace parent sent to the operator."
    )


__all__ = [
    "AgentConfig",
    "CopyTargetConfig",
    "DnsConfig",
    "EnvConfig",
    "FeatureConfig",
    "FsConfig",
    "HttpFilter",
    "IncomingConfig",
    "MirrordConfig",
    "NetworkConfig",
    "OutgoingConfig",
    "TargetObject",
    "TargetSpec",
]
