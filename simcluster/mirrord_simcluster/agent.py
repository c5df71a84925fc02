"""The simulated mirrord agent: mirrord's agent protocol behind a port-forward.

Each agent pod (a container whose image names mirrord) gets an `AgentRuntime` once it runs.
Its behaviour follows mirrord's agent (`mirrord/agent/src/entrypoint.rs`, `mirror.rs`,
`env.rs`):

- It logs `agent ready - version X` and waits `-t` seconds (communication timeout) for a
  first client; none → it exits with an error (pod phase Failed). After the last client
  leaves it exits cleanly (phase Succeeded) once `MIRRORD_AGENT_IDLE_TTL` seconds (from the
  container env, default 0) pass with no new client. A targeted agent also exits when its
  target pod goes away. Deleting the agent pod ends its connections.
- Each port-forwarded connection is one client speaking the protocol (`mirrord_ide.agent.
  protocol`): `SwitchProtocolVersion` is answered with min(agent, client) and the client's
  version gates what is sent; `GetEnvVarsRequest` filters the target container's process env
  (spec env plus the seed's image env) as the agent does; `Ping` → `Pong`; `Tcp(PortSubscribe)`
  → `SubscribeResult`; `ReadyForLogs` enables log messages; `Close` ends the connection.
- Traffic reaching a target pod (the seed's traffic sources, or `inject` / `POST
  /sim/traffic`) is mirrored to every client subscribed to its port: HTTP/1.x requests as
  `HttpRequestChunked` (`StartV2`, `Body`, then `Close`) for clients at 1.19.4 or later (older
  ones get an error log message instead, as the agent's mirror does), anything else as a TCP
  connection (`NewConnectionV2`/`V1`, `Data`…, an empty `Data` when the sender finished, then
  `Close`).

With the cluster option `agent_exec` (`demo-cluster --agent-exec CMD`) the runtime instead
starts `CMD <the agent container's args>` with `MIRRORD_SIM_PROCESS_ENV` (JSON of the target
container's process env), relays each port-forwarded connection to `127.0.0.1:<-l PORT>`,
reports the process output as the pod's log and its exit as the pod's phase, and kills it when
the pod is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import re
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mirrord_ide.agent.protocol import (
    HTTP_CHUNKED_V2_VERSION,
    ClientClose,
    ClientStream,
    DaemonClose,
    DecodeError,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    HttpRequestBody,
    HttpRequestStart,
    LogMessage,
    OtherClientMessage,
    Ping,
    Pong,
    ReadyForLogs,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    TcpClose,
    TcpConnectionUnsubscribe,
    TcpData,
    TcpNewConnection,
    TcpPortSubscribe,
    TcpPortUnsubscribe,
    TcpSubscribeResult,
    encode_daemon,
    parse_version,
    version_matches,
)
from mirrord_ide.agent.protocol.messages import ClientMessage, DaemonMessage
from mirrord_simcluster.seed import TrafficSource
from mirrord_simcluster.store import Obj, WatchEvent, now_iso

if TYPE_CHECKING:
    from mirrord_simcluster.state import ClusterState

log = logging.getLogger(__name__)

# The mirrord-protocol version the simulated agent speaks (mirrord/protocol/Cargo.toml).
AGENT_PROTOCOL_VERSION = "1.29.0"
# What the agent assumes of a client that never negotiates (the last version without
# negotiation; mirrord/agent/src/util/protocol_version.rs).
DEFAULT_CLIENT_VERSION = "1.2.2"
DEFAULT_AGENT_PORT = 61337
DEFAULT_COMMUNICATION_TIMEOUT = 30
PROCESS_ENV_VAR = "MIRRORD_SIM_PROCESS_ENV"
READ_SIZE = 64 * 1024  # mirrored TCP data arrives in reads of at most this size

_VERSION_TAG = re.compile(r":v?(\d+\.\d+\.\d+[^/]*)$")

# Variables the agent never returns, whatever the client selects (mirrord/agent/src/env.rs).
_ALWAYS_EXCLUDED = (
    "BUNDLER_ORIG_BUNDLER_ORIG_MANPATH",
    "BUNDLER_ORIG_BUNDLER_VERSION",
    "BUNDLER_ORIG_BUNDLE_BIN_PATH",
    "BUNDLER_ORIG_BUNDLE_GEMFILE",
    "BUNDLER_ORIG_GEM_HOME",
    "BUNDLER_ORIG_MANPATH",
    "BUNDLER_ORIG_PATH",
    "BUNDLER_ORIG_RB_USER_INSTALL",
    "BUNDLER_ORIG_RUBYLIB",
    "BUNDLER_ORIG_RUBYOPT",
    "BUNDLER_VERSION",
    "BUNDLE_APP_CONFIG",
    "BUNDLE_BIN_PATH",
    "BUNDLE_FORCE_RUBY_PLATFORM",
    "BUNDLE_GEMFILE",
    "BUNDLE_GEM_PATH",
    "BUNDLE_PATH",
    "BUNDLE_WITHOUT",
    "CATALINA_HOME",
    "CLASSPATH",
    "DOTNET_EnableDiagnostics",
    "DOTNET_STARTUP_HOOKS",
    "GEM_HOME",
    "GEM_PATH",
    "GOPATH",
    "GOMODCACHE",
    "HOME",
    "HOMEPATH",
    "JAVA_EXE",
    "JAVA_HOME",
    "JAVA_TOOL_OPTIONS",
    "PATH",
    "PWD",
    "PYTHONPATH",
    "RUBYLIB",
    "RUBYOPT",
    "MIRRORD_LOG",
    "RUST_LOG",
    "_JAVA_OPTIONS",
)

# What every container process gets besides its spec env: the image's defaults and the
# kubelet's service-link variables for the API server.
_BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "KUBERNETES_SERVICE_HOST": "10.96.0.1",
    "KUBERNETES_SERVICE_PORT": "443",
    "KUBERNETES_SERVICE_PORT_HTTPS": "443",
    "KUBERNETES_PORT": "tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
    "KUBERNETES_PORT_443_TCP_PORT": "443",
    "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1",
}

# Source address of simulated traffic: a client pod on another node.
TRAFFIC_SOURCE_IP = "10.244.9.17"


# ---- the agent container ---------------------------------------------------------------------


def agent_container(pod: Obj) -> Obj | None:
    for c in pod.get("spec", {}).get("containers", []):
        if "mirrord" in str(c.get("image", "")):
            return dict(c)
    return None


def agent_version(pod: Obj, default: str) -> str:
    container = agent_container(pod)
    if container is None:
        return default
    match = _VERSION_TAG.search(str(container.get("image", "")))
    return match.group(1) if match else default


def ready_line(pod: Obj, default_version: str) -> str:
    """What the real agent prints when it accepts connections."""
    return f"agent ready - version {agent_version(pod, default_version)}"


def container_argv(container: Obj) -> list[str]:
    """The agent's arguments: the command after the executable, then `args`."""
    return [str(a) for a in (container.get("command") or [])[1:]] + [
        str(a) for a in container.get("args") or []
    ]


@dataclass(frozen=True)
class AgentArgs:
    """The agent's command line (mirrord/agent/src/cli.rs)."""

    port: int = DEFAULT_AGENT_PORT
    communication_timeout: int = DEFAULT_COMMUNICATION_TIMEOUT
    mode: str = "targetless"
    container_id: str | None = None
    container_runtime: str | None = None


def parse_agent_args(argv: Iterable[str]) -> AgentArgs:
    """Flags as the agent's parser reads them; unknown flags are ignored."""
    args = list(argv)
    values: dict[str, str] = {}
    mode = "targetless"
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("targeted", "targetless", "ephemeral"):
            mode = arg
            i += 1
            continue
        name, eq, inline = arg.partition("=")
        key = {
            "-l": "port",
            "--communicate-port": "port",
            "-t": "timeout",
            "--communication-timeout": "timeout",
            "-c": "container_id",
            "--container-id": "container_id",
            "-r": "runtime",
            "--container-runtime": "runtime",
        }.get(name)
        if key is None:
            i += 1
            continue
        if eq:
            values[key] = inline
            i += 1
        elif i + 1 < len(args):
            values[key] = args[i + 1]
            i += 2
        else:
            i += 1
    port = values.get("port", "")
    timeout = values.get("timeout", "")
    return AgentArgs(
        port=int(port) if port.isdigit() and 0 < int(port) < 65536 else DEFAULT_AGENT_PORT,
        communication_timeout=int(timeout) if timeout.isdigit() else DEFAULT_COMMUNICATION_TIMEOUT,
        mode=mode,
        container_id=values.get("container_id"),
        container_runtime=values.get("runtime"),
    )


# ---- environment ----------------------------------------------------------------------------


def _wildmatch(pattern: str) -> re.Pattern[str]:
    """`*` any run of characters, `?` one character, everything else literal (wildmatch)."""
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def select_env(
    env: Mapping[str, str], env_vars_filter: Iterable[str], env_vars_select: Iterable[str]
) -> dict[str, str]:
    """The agent's env selection: a name is returned when it matches one of the `select`
    patterns (all names when there are none) and neither a `filter` pattern nor one of the
    always-excluded names (mirrord/agent/src/env.rs)."""
    select = [_wildmatch(p) for p in env_vars_select] or [_wildmatch("*")]
    exclude = [_wildmatch(p) for p in (*_ALWAYS_EXCLUDED, *env_vars_filter)]
    return {
        k: v
        for k, v in env.items()
        if not any(p.fullmatch(k) for p in exclude) and any(p.fullmatch(k) for p in select)
    }


def _find_container(state: ClusterState, container_id: str) -> tuple[Obj, Obj] | None:
    """(pod, container spec) of the running container with this id (with or without the
    `runtime://` prefix)."""
    wanted = container_id.split("://")[-1]
    for pod in state.store.snapshot("pods")[1]:
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            found = str(status.get("containerID") or "").split("://")[-1]
            if found and found == wanted:
                for c in pod["spec"].get("containers", []):
                    if c.get("name") == status.get("name"):
                        return pod, c
    return None


def process_env(state: ClusterState, pod: Obj, container: Obj) -> dict[str, str]:
    """The environment of `container`'s process: image defaults and image env, then what the
    kubelet sets (hostname, service links, the spec's env)."""
    from mirrord_ide.agent.env import container_env, references

    ns = pod["metadata"].get("namespace", "")
    env = dict(_BASE_ENV)
    env.update(state.seed.image_env.get(str(container.get("image", "")), {}))
    env["HOSTNAME"] = str(pod["metadata"].get("name", ""))
    configmaps, secrets = references(container)
    spec_env, _ = container_env(
        pod,
        container,
        {name: state.store.get_ref("configmaps", ns, name) for name in configmaps},
        {name: state.store.get_ref("secrets", ns, name) for name in secrets},
    )
    env.update(spec_env)
    return env


# ---- mirrored traffic -----------------------------------------------------------------------


@dataclass
class HttpRequest:
    """One HTTP/1.x request found in a mirrored connection's bytes."""

    method: str
    uri: str
    version: str
    headers: list[tuple[str, bytes]]
    body: list[bytes]
    chunked: bool


_REQUEST_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP/(1\.[01])\r?\n")


def parse_http_requests(data: bytes) -> list[HttpRequest] | None:
    """The HTTP/1.x requests `data` holds back to back, or None when it does not start with
    one (then it is mirrored as plain TCP). An incomplete last request is dropped."""
    requests: list[HttpRequest] = []
    pos = 0
    while pos < len(data):
        line = _REQUEST_LINE.match(data, pos)
        if line is None:
            return requests or None
        head_end = data.find(b"\r\n\r\n", line.end() - 2)
        if head_end < 0:
            break
        headers: list[tuple[str, bytes]] = []
        for raw in data[line.end() : head_end].split(b"\r\n"):
            if not raw:
                continue
            name, sep, value = raw.partition(b":")
            if not sep or not name.strip():
                return requests or None
            headers.append((name.strip().decode("latin-1").lower(), value.strip()))
        pos = head_end + 4
        lookup = {k: v for k, v in headers}
        body: list[bytes] = []
        chunked = b"chunked" in lookup.get("transfer-encoding", b"").lower()
        if chunked:
            while True:
                size_end = data.find(b"\r\n", pos)
                if size_end < 0:
                    return requests or None
                try:
                    size = int(data[pos:size_end].split(b";")[0], 16)
                except ValueError:
                    return requests or None
                pos = size_end + 2
                if size == 0:
                    trailer_end = data.find(b"\r\n", pos)
                    pos = len(data) if trailer_end < 0 else trailer_end + 2
                    break
                body.append(data[pos : pos + size])
                pos += size + 2
        else:
            length = lookup.get("content-length", b"0")
            size = int(length) if length.isdigit() else 0
            if size:
                body.append(data[pos : pos + size])
            pos += size
        method, uri, version = line.group(1), line.group(2), line.group(3)
        requests.append(
            HttpRequest(
                method.decode(),
                uri.decode("latin-1"),
                f"HTTP/{version.decode()}",
                headers,
                body,
                chunked,
            )
        )
    return requests or None


@dataclass(frozen=True)
class Connection:
    """A TCP connection that reached a target pod: its addresses and the bytes it carried."""

    source_ip: str
    source_port: int
    destination_ip: str
    destination_port: int
    chunks: tuple[bytes, ...]


# ---- one client connection ------------------------------------------------------------------

Send = Callable[[bytes], Awaitable[None]]


class AgentClient:
    """One client connected to a simulated agent."""

    def __init__(self, runtime: AgentRuntime, send: Send) -> None:
        self.runtime = runtime
        self._send = send
        self.version = DEFAULT_CLIENT_VERSION
        self.ready_for_logs = False
        self.ports: set[int] = set()
        self._ids = itertools.count()
        self._unsubscribed: set[int] = set()
        self._queue: asyncio.Queue[tuple[int | None, bytes] | None] = asyncio.Queue()

    def _emit(self, msg: DaemonMessage, connection: int | None = None) -> None:
        if isinstance(msg, LogMessage) and not self.ready_for_logs:
            return  # the agent holds logs back until the client asks for them
        self._queue.put_nowait((connection, encode_daemon(msg)))

    async def _writer(self) -> None:
        while (item := await self._queue.get()) is not None:
            batch = bytearray()
            while item is not None:
                connection, data = item
                if connection is None or connection not in self._unsubscribed:
                    batch += data
                if len(batch) >= 256 * 1024 or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            if batch:
                await self._send(bytes(batch))
            if item is None:
                return

    async def run(self, incoming: AsyncIterator[bytes]) -> None:
        writer = asyncio.ensure_future(self._writer())
        stream = ClientStream()
        try:
            async for chunk in incoming:
                try:
                    messages = stream.feed(chunk)
                except DecodeError as exc:
                    for msg in exc.messages:
                        if not self._handle(msg):  # type: ignore[arg-type]
                            return
                    self._emit(DaemonClose(f"mirrord-agent could not decode a message: {exc}"))
                    return
                for msg in messages:
                    if not self._handle(msg):
                        return
        finally:
            self._queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 5.0)
            if not writer.done():
                writer.cancel()

    def _handle(self, msg: ClientMessage) -> bool:
        """Answers one message; False when the client is done."""
        if isinstance(msg, Ping):
            self._emit(Pong())
        elif isinstance(msg, SwitchProtocolVersion):
            mine = parse_version(AGENT_PROTOCOL_VERSION)
            settled = AGENT_PROTOCOL_VERSION if mine <= parse_version(msg.version) else msg.version
            self.version = msg.version
            self._emit(SwitchProtocolVersionResponse(settled))
        elif isinstance(msg, GetEnvVarsRequest):
            env = select_env(self.runtime.env(), msg.env_vars_filter, msg.env_vars_select)
            self._emit(GetEnvVarsResponse(env))
        elif isinstance(msg, TcpPortSubscribe):
            if self.runtime.target is None:
                self._emit(
                    DaemonClose(
                        "incoming traffic mirroring is not available: this agent runs without "
                        "a target"
                    )
                )
            else:
                self.ports.add(msg.port)
                self._emit(TcpSubscribeResult(msg.port))
        elif isinstance(msg, TcpPortUnsubscribe):
            self.ports.discard(msg.port)
        elif isinstance(msg, TcpConnectionUnsubscribe):
            self._unsubscribed.add(msg.connection_id)
        elif isinstance(msg, ReadyForLogs):
            self.ready_for_logs = True
        elif isinstance(msg, ClientClose):
            return False
        elif isinstance(msg, OtherClientMessage):
            if msg.name == "PauseTargetRequest":
                self._emit(DaemonClose("pausing the target is not supported any more"))
            elif msg.name.startswith("Tcp.PortSubscribeFilteredHttp"):
                self._emit(DaemonClose("HTTP filters are not supported by the simulated agent"))
        return True

    def mirror(self, connection: Connection) -> bool:
        """Queues a mirrored connection if its port is subscribed; whether it was."""
        if connection.destination_port not in self.ports:
            return False
        modern = version_matches(self.version, HTTP_CHUNKED_V2_VERSION)
        requests = parse_http_requests(b"".join(connection.chunks))
        if requests is not None:
            if not modern:
                self._emit(
                    LogMessage(
                        "error",
                        "An HTTP request was not mirrored: it needs mirrord-protocol "
                        f">={HTTP_CHUNKED_V2_VERSION}",
                    )
                )
                return True
            for request in requests:
                self._mirror_http(connection, request)
            return True
        cid = next(self._ids)
        self._emit(
            TcpNewConnection(
                cid,
                connection.source_ip,
                connection.source_port,
                connection.destination_port,
                connection.destination_ip,
                None,
                v2=modern,
            ),
        )
        for chunk in connection.chunks:
            for start in range(0, len(chunk), READ_SIZE):
                self._emit(TcpData(cid, chunk[start : start + READ_SIZE]), cid)
        self._emit(TcpData(cid, b""), cid)  # the sender finished writing
        self._emit(TcpClose(cid), cid)
        return True

    def _mirror_http(self, connection: Connection, request: HttpRequest) -> None:
        # Each mirrored request gets its own connection id and request id 0 (mirror.rs).
        cid = next(self._ids)
        streamed = request.chunked
        self._emit(
            HttpRequestStart(
                cid,
                0,
                connection.destination_port,
                request.method,
                request.uri,
                request.version,
                request.headers,
                [] if streamed else request.body,
                not streamed,
                None,
                connection.source_ip,
                connection.source_port,
                connection.destination_ip,
            ),
            cid,
        )
        if streamed:
            for chunk in request.body:
                self._emit(HttpRequestBody(cid, 0, [chunk], False), cid)
            self._emit(HttpRequestBody(cid, 0, [], True), cid)
        self._emit(TcpClose(cid), cid)


# ---- one agent pod --------------------------------------------------------------------------


@dataclass
class AgentRuntime:
    """The process behind one agent pod."""

    state: ClusterState
    namespace: str
    name: str
    uid: str
    args: AgentArgs
    argv: list[str]
    idle_ttl: float
    target: tuple[str, str, str] | None  # (namespace, pod name, pod uid) of a targeted agent
    target_env: dict[str, str]
    external: str | None = None  # the command of an external agent
    log_lines: list[str] = field(default_factory=list)
    clients: set[asyncio.Task[None]] = field(default_factory=set)
    ever_connected: bool = False
    exited: bool = False
    connected: dict[asyncio.Task[None], AgentClient] = field(default_factory=dict)
    _timer: asyncio.Task[None] | None = None
    _process: asyncio.subprocess.Process | None = None
    _process_tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return self.target_env

    # -- lifecycle --

    async def start(self) -> None:
        if self.external:
            # The external agent keeps its own time and exits on its own.
            await self._start_process(self.external)
            return
        self.log_lines.append(ready_line(self._pod() or {}, self.state.options.agent_version))
        self._timer = asyncio.ensure_future(self._first_client_deadline())

    def _pod(self) -> Obj | None:
        pod = self.state.store.get_ref("pods", self.namespace, self.name)
        return pod if pod is not None and pod["metadata"].get("uid") == self.uid else None

    async def _first_client_deadline(self) -> None:
        await asyncio.sleep(self.args.communication_timeout)
        if not self.ever_connected:
            self.log_lines.append(
                f"ERROR no client connected within {self.args.communication_timeout}s, exiting"
            )
            self.exit(1)

    def _client_left(self) -> None:
        if not self.clients and not self.exited and not self.external:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = asyncio.ensure_future(self._idle_exit())

    async def _idle_exit(self) -> None:
        await asyncio.sleep(self.idle_ttl)
        if not self.clients:
            self.exit(0)

    def exit(self, code: int) -> None:
        """The agent process ends with `code`: its connections close, the pod terminates."""
        if self.exited:
            return
        self.exited = True
        self._cancel_all()
        if self._pod() is not None:
            _terminate_pod(self.state, self.namespace, self.name, self.uid, code)

    def stop(self) -> None:
        """The pod went away."""
        self.exited = True
        self._cancel_all()

    def _cancel_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self.clients):
            task.cancel()
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.terminate()
            asyncio.ensure_future(self._reap(self._process))

    @staticmethod
    async def _reap(process: asyncio.subprocess.Process) -> None:
        try:
            await asyncio.wait_for(process.wait(), 3.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    # -- clients --

    async def serve(self, incoming: AsyncIterator[bytes], send: Send) -> None:
        """One port-forwarded connection, until either side closes it."""
        if self.exited:
            return
        task = asyncio.current_task()
        assert task is not None
        self.ever_connected = True
        if self._timer is not None:
            self._timer.cancel()
        self.clients.add(task)
        try:
            if self.external:
                await self._relay(incoming, send)
            else:
                client = AgentClient(self, send)
                self.connected[task] = client
                await client.run(incoming)
        finally:
            self.clients.discard(task)
            self.connected.pop(task, None)
            self._client_left()

    # -- external agent --

    async def _start_process(self, command: str) -> None:
        env = dict(os.environ)
        env[PROCESS_ENV_VAR] = json.dumps(self.target_env)
        try:
            self._process = await asyncio.create_subprocess_exec(
                *shlex.split(command),
                *self.argv,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            self.log_lines.append(f"cannot start the agent command {command!r}: {exc}")
            self.exit(127)
            return
        self._process_tasks.append(asyncio.ensure_future(self._watch_process(self._process)))

    async def _watch_process(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            self.log_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            del self.log_lines[:-1000]
        code = await process.wait()
        if not self.exited:
            self.exit(0 if code == 0 else max(code, 1))

    async def _relay(self, incoming: AsyncIterator[bytes], send: Send) -> None:
        deadline = asyncio.get_running_loop().time() + 5.0
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.args.port)
                break
            except OSError:
                if asyncio.get_running_loop().time() > deadline or self.exited:
                    return
                await asyncio.sleep(0.05)

        async def upstream() -> None:
            async for chunk in incoming:
                writer.write(chunk)
                await writer.drain()
            with contextlib.suppress(OSError):
                writer.write_eof()

        pump = asyncio.ensure_future(upstream())
        try:
            while data := await reader.read(64 * 1024):
                await send(data)
        except OSError:
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(BaseException):
                await pump
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _terminate_pod(state: ClusterState, ns: str, name: str, uid: str, code: int) -> None:
    def terminate(p: Obj) -> None:
        if p["metadata"].get("uid") != uid:
            return
        at = now_iso()
        status = p.setdefault("status", {})
        status["phase"] = "Succeeded" if code == 0 else "Failed"
        for cs in status.get("containerStatuses") or []:
            running = (cs.get("state") or {}).get("running") or {}
            cs["state"] = {
                "terminated": {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": running.get("startedAt", at),
                    "finishedAt": at,
                    "containerID": cs.get("containerID", ""),
                }
            }
            cs["ready"] = False
            cs["started"] = False
        for cond in status.get("conditions") or []:
            if cond.get("type") in ("Ready", "ContainersReady"):
                cond.update(status="False", reason="PodCompleted", lastTransitionTime=at)
                cond.pop("message", None)

    with contextlib.suppress(Exception):  # the pod went away meanwhile
        state.store.update("pods", ns, name, terminate)


# ---- every agent of one cluster -------------------------------------------------------------


def _container_env_value(container: Obj, name: str) -> str | None:
    for var in container.get("env") or []:
        if isinstance(var, Mapping) and var.get("name") == name and "value" in var:
            return str(var["value"])
    return None


class AgentSupervisor:
    """Starts a runtime for each agent pod that runs, mirrors traffic to their clients, and
    runs the seed's traffic sources. Lives on the server's event loop."""

    def __init__(self, state: ClusterState) -> None:
        self.state = state
        self.runtimes: dict[str, AgentRuntime] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._ports = itertools.cycle(range(32768, 61000))
        self._stopped = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()

        def listener(event: WatchEvent) -> None:
            if event.resource == "pods" and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(self._on_pod, event)

        self._unsubscribe = self.state.store.subscribe(listener)
        for index, source in enumerate(self.state.seed.traffic):
            self._spawn(self._traffic_loop(index, source))

    async def stop(self) -> None:
        self._stopped = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        processes = [rt._process for rt in self.runtimes.values() if rt._process is not None]
        for runtime in self.runtimes.values():
            runtime.stop()
        for task in list(self._tasks):
            task.cancel()
        for process in processes:
            with contextlib.suppress(Exception):
                await AgentRuntime._reap(process)
        # Let each watcher read its process's output to the end: a pipe still open when
        # the loop closes is closed later by the garbage collector, on a closed loop.
        watchers = [task for rt in self.runtimes.values() for task in rt._process_tasks]
        if watchers:
            await asyncio.wait(watchers, timeout=2.0)
        for task in watchers:
            task.cancel()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_pod(self, event: WatchEvent) -> None:
        if self._stopped:
            return
        pod = event.obj
        uid = str(pod["metadata"].get("uid", ""))
        if event.type == "DELETED":
            runtime = self.runtimes.pop(uid, None)
            if runtime is not None:
                runtime.stop()
            for other in list(self.runtimes.values()):
                if other.target is not None and other.target[2] == uid:
                    other.log_lines.append("target container exited, shutting down")
                    other.exit(0)
            return
        phase = (pod.get("status") or {}).get("phase")
        if uid not in self.runtimes and phase == "Running" and agent_container(pod) is not None:
            self._spawn(self.runtime_for(pod))

    async def runtime_for(self, pod: Obj) -> AgentRuntime:
        uid = str(pod["metadata"]["uid"])
        runtime = self.runtimes.get(uid)
        if runtime is not None:
            return runtime
        container = agent_container(pod) or {}
        argv = container_argv(container)
        args = parse_agent_args(argv)
        ttl = _container_env_value(container, "MIRRORD_AGENT_IDLE_TTL") or "0"
        target: tuple[str, str, str] | None = None
        env_pod, env_container = pod, container
        missing: str | None = None
        if args.mode == "targeted":
            found = _find_container(self.state, args.container_id or "")
            if found is not None:
                env_pod, env_container = found
                meta = env_pod["metadata"]
                target = (meta["namespace"], meta["name"], meta["uid"])
            else:
                missing = args.container_id or "(none given)"
        runtime = AgentRuntime(
            state=self.state,
            namespace=pod["metadata"]["namespace"],
            name=pod["metadata"]["name"],
            uid=uid,
            args=args,
            argv=argv,
            idle_ttl=float(ttl) if ttl.isdigit() else 0.0,
            target=target,
            target_env=process_env(self.state, env_pod, env_container),
            external=self.state.options.agent_exec,
        )
        self.runtimes[uid] = runtime
        if missing is not None and not runtime.external:
            # The agent cannot enter a container that is not there: it fails at start-up.
            runtime.log_lines.append(f"ERROR target container {missing} not found, exiting")
            runtime.exit(1)
            return runtime
        await runtime.start()
        return runtime

    async def serve(self, pod: Obj, incoming: AsyncIterator[bytes], send: Send) -> None:
        """A port-forwarded connection to `pod`'s agent port."""
        runtime = await self.runtime_for(pod)
        await runtime.serve(incoming, send)

    def log_lines(self, pod: Obj) -> list[str]:
        runtime = self.runtimes.get(str(pod["metadata"].get("uid")))
        if runtime is None:
            return (
                []
                if self.state.options.agent_exec
                else [ready_line(pod, self.state.options.agent_version)]
            )
        return list(runtime.log_lines)

    def inject(self, namespace: str, pod_name: str, port: int, chunks: Iterable[bytes]) -> int:
        """Traffic reaching `pod_name`'s `port`: mirrored to each subscribed client of each
        agent targeting the pod. Returns how many clients got it; LookupError when there is no
        such pod."""
        pod = self.state.store.get_ref("pods", namespace, pod_name)
        if pod is None:
            raise LookupError(f'pods "{pod_name}" not found in namespace {namespace}')
        connection = Connection(
            TRAFFIC_SOURCE_IP,
            next(self._ports),
            str((pod.get("status") or {}).get("podIP") or "10.244.0.2"),
            port,
            tuple(chunks),
        )
        uid = pod["metadata"]["uid"]
        count = 0
        for runtime in list(self.runtimes.values()):
            if runtime.exited or runtime.target is None or runtime.target[2] != uid:
                continue
            for client in list(runtime.connected.values()):
                count += client.mirror(connection)
        return count

    async def _traffic_loop(self, index: int, source: TrafficSource) -> None:
        sent = itertools.count(1)
        while True:
            override = self.state.options.traffic_interval
            interval = source.interval if override is None else override
            if interval <= 0:
                await asyncio.sleep(1.0)
                continue
            await asyncio.sleep(interval)
            number = next(sent)
            for pod in self.state.store.snapshot("pods", source.namespace)[1]:
                labels = pod["metadata"].get("labels") or {}
                if labels.get("app") != source.app:
                    continue
                if (pod.get("status") or {}).get("phase") != "Running":
                    continue
                port = source.port or _first_port(pod)
                if port is None:
                    continue
                data = source.render(number, port)
                with contextlib.suppress(LookupError):
                    self.inject(source.namespace, pod["metadata"]["name"], port, [data])


def _first_port(pod: Obj) -> int | None:
    for c in pod.get("spec", {}).get("containers", []):
        for p in c.get("ports") or []:
            if isinstance(p, Mapping) and p.get("containerPort"):
                return int(p["containerPort"])
    return None


async def handle_sim_request(request: Any, state: ClusterState, user: Any) -> Any:
    """`POST /sim/traffic?namespace=NS&pod=NAME&port=N` with the connection's bytes as the
    body: mirror them as traffic reaching that pod. Answers `{"mirrored": <clients>}`. Needs
    the right to port-forward in the namespace."""
    from aiohttp import web

    from mirrord_simcluster.status import ApiError, bad_request

    if request.path != "/sim/traffic":
        raise ApiError(404, "the server could not find the requested resource", "NotFound", {})
    if request.method != "POST":
        raise ApiError(405, "only POST is allowed on /sim/traffic", "MethodNotAllowed")
    ns = request.query.get("namespace", "")
    name = request.query.get("pod", "")
    port_text = request.query.get("port", "")
    if not ns or not name or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise bad_request("namespace, pod and port (1-65535) are required")
    if not user.can("create", "pods/portforward", ns):
        raise ApiError(
            403,
            f'User "{user.name}" cannot create resource "pods/portforward" in namespace "{ns}"',
            "Forbidden",
        )
    supervisor = state.agents
    if supervisor is None:
        raise ApiError(503, "the simulated agents are not running", "ServiceUnavailable")
    body = await request.read()
    try:
        count = supervisor.inject(ns, name, int(port_text), [body])
    except LookupError as exc:
        raise ApiError(404, str(exc), "NotFound", {"name": name, "kind": "pods"}) from None
    return web.json_response({"mirrored": count})
