"""Debug sessions: one agent and one port-forward each, from start to stop.

`SessionManager` is the state the LSP layer keeps on the server object:
`start` launches an agent and returns the contract's `mirrord/startSession`
result; `stop`, `list` and `stop_all` (server exit) end sessions and delete
their agents; `reap_orphans` removes agents whose server process is gone.

This is the builtin engine: the server itself holds a connection to each
session's agent (`client`), keeps it alive with pings, replays the agent's
mirrored traffic to the debuggee (`mirror`) and watches the agent pod. A
session whose agent exits, is evicted or deleted, or whose connection drops
or stops answering, ends at once: it leaves the registry, its Job is
deleted, and `on_ended(session_id, reason, message)` is called (reasons as
the contract's `mirrord/sessionEnded`).

The debuggee's `env` in the result holds, besides the target container's
resolved environment:
- `MIRRORD_AGENT_CONNECT_INFO`: mirrord's `{"DirectKubernetes": {...}}` JSON
  naming the agent pod, its namespace and port;
- `MIRRORD_AGENT_ADDR`: the loopback `host:port` that forwards to the agent;
- `MIRRORD_SESSION_ID`: the session id (also the agent's session label);
- `MIRRORD_DETECT_DEBUGGER_PORT`: when the debug type is known.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mirrord_ide.agent.client import AGENT_EXITED, PING_INTERVAL, PONG_TIMEOUT, AgentConnection
from mirrord_ide.agent.env import container_spec, env_file_path, read_env_file
from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.launcher import LaunchedAgent, Launcher, LaunchPlan, LiveAgents, Progress
from mirrord_ide.agent.mirror import Mirror
from mirrord_ide.agent.owner import current_owner, owner_gone
from mirrord_ide.agent.settings import (
    EnvSettings,
    IncomingSettings,
    agent_settings,
    env_settings,
    incoming_settings,
)
from mirrord_ide.agent.spec import OWNER_ANNOTATION, SERVER_LABEL, Owner
from mirrord_ide.cluster.catalog import HEALTHY_WATCH_SECONDS, WatchBackoff
from mirrord_ide.cluster.kinds import api_url
from mirrord_ide.config.precedence import UNSET, resolve_selection
from mirrord_ide.errors import Forbidden, MirrordError

log = logging.getLogger(__name__)

ENGINE = "builtin"
STOPPED = "stopped"
SERVER_EXIT = "server-exit"
# After the agent connection drops, how long to wait for the pod watch to
# tell whether the agent itself went away (then the reason is agent-exited).
EXIT_GRACE = 1.5
# Seconds after a session starts during which mirrored traffic that finds nothing
# listening is only counted: the IDE starts the debuggee after the session is up.
QUIET_START = 20.0
# First pause (seconds) before watching the agent pod again after a watch ends;
# it grows while watches keep ending early.
WATCH_RETRY = 0.5
WATCH_SECONDS = 300

EndedCallback = Callable[[str, str, str], Any]
NoticeCallback = Callable[[str, str], Any]

# Debug adapter types (VS Code `type`, JetBrains runner ids) → mirrord's detector.
DEBUGGER_PORT_DETECTORS: dict[str, str] = {
    "python": "debugpy",
    "debugpy": "debugpy",
    "pydevd": "pydevd",
    "pycharm": "pydevd",
    "node": "nodeinspector",
    "pwa-node": "nodeinspector",
    "node-terminal": "nodeinspector",
    "pwa-chrome": "nodeinspector",
    "java": "javaagent",
    "kotlin": "javaagent",
    "coreclr": "resharper",
    "rider": "resharper",
}


@dataclass(frozen=True, slots=True)
class StartRequest:
    config: Any = None  # MirrordConfig, a JSON-like dict, or None
    target: Any = UNSET  # str; None means targetless; UNSET means not given
    namespace: str | None = None
    agent_namespace: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    debug_type: str | None = None
    # Where relative paths in the config start (`feature.env.env_file`): the
    # workspace folder, else the config file's folder.
    workspace: str | None = None
    config_path: str | None = None


@dataclass(slots=True)
class Session:
    id: str
    target: str | None
    namespace: str
    agent: LaunchedAgent
    started: float
    env: dict[str, str]
    env_to_unset: list[str]
    kube: AgentKube | None = None
    connection: AgentConnection | None = None
    mirror: Mirror | None = None
    monitor: asyncio.Task[None] | None = None
    capabilities: dict[str, Any] = field(default_factory=dict)
    mirrored_ports: dict[int, int] = field(default_factory=dict)  # remote → local
    ended: bool = False

    def describe(self) -> dict[str, Any]:
        agent = self.agent
        described: dict[str, Any] = {
            "sessionId": self.id,
            "target": self.target,
            "namespace": self.namespace,
            "engine": ENGINE,
            "agent": {
                "pod": agent.pod,
                "namespace": agent.namespace,
                "node": agent.node,
                "port": agent.port,
                "localAddress": agent.forwarder.local_address,
            },
            "startedAt": self.started,
        }
        if self.mirror is not None:
            described["mirrored"] = {
                "ports": [
                    {"remote": remote, "local": local}
                    for remote, local in sorted(self.mirrored_ports.items())
                ],
                **self.mirror.stats.as_dict(),
            }
        return described


def declared_ports(target: Any) -> list[int]:
    """The TCP ports the target container declares (`ports[].containerPort`)."""
    if target is None:
        return []
    container = container_spec(target.pod_object, target.container)
    ports: list[int] = []
    for item in container.get("ports") or []:
        if not isinstance(item, Mapping):
            continue
        number = item.get("containerPort")
        protocol = str(item.get("protocol") or "TCP").upper()
        if isinstance(number, int) and 0 < number < 65536 and protocol == "TCP":
            if number not in ports:
                ports.append(number)
    return ports


def incoming_plan(settings: IncomingSettings, target: Any) -> tuple[list[int], list[str]]:
    """The remote ports to mirror and the warnings about what is not offered."""
    warnings: list[str] = []
    if settings.mode == "off":
        return [], warnings
    if settings.mode == "steal":
        warnings.append(
            "steal mode is not offered by the builtin engine: incoming traffic is mirrored "
            "instead (the target keeps answering it). Install mirrord or set mirrord.cliPath "
            "to steal."
        )
    if settings.http_filter:
        warnings.append(
            "HTTP filters are not applied by the builtin engine: every request on the "
            "mirrored ports is replayed"
        )
    if settings.ports is not None:
        ports = sorted(settings.ports)
    else:
        ports = declared_ports(target)
    ports = [
        p
        for p in ports
        if p not in settings.ignore_ports and settings.local_port(p) not in settings.ignore_ports
    ]
    return ports, warnings


def connect_info(pod: str, namespace: str, port: int) -> str:
    """`MIRRORD_AGENT_CONNECT_INFO` as mirrord's intproxy reads it."""
    return json.dumps(
        {"DirectKubernetes": {"pod_name": pod, "pod_namespace": namespace, "agent_port": port}},
        separators=(",", ":"),
    )


@dataclass(frozen=True, slots=True)
class Choice:
    """Where to launch: kind/name/container None for targetless."""

    kind: str | None
    name: str | None
    container: str | None
    path: str | None
    namespace: str
    agent_namespace: str | None


def choose(request: StartRequest, kube_namespace: str) -> Choice:
    """Apply the precedence (request > env > config > kubeconfig) to a request."""
    selection = resolve_selection(
        request_target=request.target,
        request_namespace=request.namespace,
        request_agent_namespace=request.agent_namespace,
        env=request.env,
        config=request.config,
        kube_namespace=kube_namespace,
    )
    target = selection.target
    if target is None or target.kind == "targetless":
        return Choice(None, None, None, None, selection.namespace, selection.agent_namespace)
    if target.kind == "label":
        raise MirrordError(
            "label targets require the mirrord operator",
            hint="target a pod, deployment, rollout or statefulset",
            kind="conflict",
        )
    return Choice(
        kind=target.kind,
        name=target.name,
        container=target.container,
        path=target.canonical,
        namespace=selection.namespace,
        agent_namespace=selection.agent_namespace,
    )


class SessionManager:
    """Sessions of one server process. Every agent it creates carries this
    server's id label and an owner annotation (pid, host, boot id)."""

    def __init__(
        self,
        kube: Callable[[], Awaitable[AgentKube]],
        *,
        owner: Owner | None = None,
        chooser: Callable[[StartRequest, str], Choice] = choose,
        on_ended: EndedCallback | None = None,
        on_notice: NoticeCallback | None = None,
        keepalive: tuple[float, float] = (PING_INTERVAL, PONG_TIMEOUT),
        quiet_start: float = QUIET_START,
    ) -> None:
        self._kube_factory = kube
        self.owner = owner or current_owner()
        self._choose = chooser
        self._on_ended = on_ended
        self._on_notice = on_notice
        self._keepalive = keepalive
        self._quiet_start = quiet_start
        self._sessions: dict[str, Session] = {}
        self._starting: set[asyncio.Task[Any]] = set()
        self._ending: set[asyncio.Task[None]] = set()
        self.live = LiveAgents()
        self._last_kube: AgentKube | None = None

    async def _kube(self) -> AgentKube:
        kube = await self._kube_factory()
        self._last_kube = kube
        return kube

    def _launcher(self, kube: AgentKube) -> Launcher:
        return Launcher(kube, live=self.live)

    async def start(
        self, request: StartRequest, progress: Progress | None = None
    ) -> dict[str, Any]:
        task = asyncio.current_task()
        if task is not None:
            self._starting.add(task)
        try:
            return await self._start(request, progress or (lambda *_: None))
        finally:
            if task is not None:
                self._starting.discard(task)

    async def _start(self, request: StartRequest, progress: Progress) -> dict[str, Any]:
        # The env file is read before anything touches the cluster: a bad one
        # fails the start with nothing to clean up.
        env_config = await _with_env_file(env_settings(request.config, request.env), request)
        kube = await self._kube()
        choice = self._choose(request, kube.default_namespace)
        session_id = str(uuid.uuid4())
        plan = LaunchPlan(
            namespace=choice.namespace,
            agent_namespace=choice.agent_namespace,
            target_kind=choice.kind,
            target_name=choice.name,
            container=choice.container,
            target_path=choice.path,
            settings=agent_settings(request.config, request.env),
            env_settings=env_config,
            session_id=session_id,
            owner=self.owner,
        )
        incoming = incoming_settings(request.config, request.env)
        agent = await self._launcher(kube).launch(plan, progress)
        env = dict(agent.remote_env.env)
        env["MIRRORD_AGENT_CONNECT_INFO"] = connect_info(agent.pod, agent.namespace, agent.port)
        env["MIRRORD_AGENT_ADDR"] = agent.forwarder.local_address
        env["MIRRORD_SESSION_ID"] = session_id
        detector = DEBUGGER_PORT_DETECTORS.get((request.debug_type or "").lower())
        if detector:
            env["MIRRORD_DETECT_DEBUGGER_PORT"] = detector
        target_namespace = agent.target.namespace if agent.target else choice.namespace
        session = Session(
            id=session_id,
            target=choice.path,
            namespace=target_namespace,
            agent=agent,
            started=time.time(),
            env=env,
            env_to_unset=list(agent.remote_env.unset),
            kube=kube,
            connection=agent.connection,
        )
        warnings = list(agent.warnings)
        try:
            timeout = float(plan.settings.communication_timeout)
            warnings += await self._attach(session, incoming, timeout)
        except BaseException:
            await asyncio.shield(asyncio.ensure_future(self._teardown(session)))
            raise
        self._sessions[session_id] = session
        session.monitor = asyncio.ensure_future(self._watch(session))
        result = session.describe()
        result.pop("startedAt", None)
        result.pop("mirrored", None)
        result["env"] = env
        result["envToUnset"] = session.env_to_unset
        result["warnings"] = warnings
        result["info"] = []
        result["capabilities"] = dict(session.capabilities)
        return result

    async def _attach(
        self, session: Session, incoming: IncomingSettings, timeout: float
    ) -> list[str]:
        """Subscribe the mirrored ports and start the keep-alive; returns warnings."""
        connection = session.connection
        agent = session.agent
        session.capabilities = {
            "env": agent.env_source,
            "incoming": "off",
            "outgoing": False,
            "files": False,
        }
        if connection is None:
            return []
        session_id = session.id
        mirror = Mirror(
            send=connection.send,
            local_port=incoming.local_port,
            notice=lambda message: self._notice(session_id, message),
            pause=connection.pause_reading,
            resume=connection.resume_reading,
            quiet_for=self._quiet_start,
        )
        session.mirror = mirror
        connection.traffic = mirror.handle
        connection.on_log = lambda level, text: self._agent_log(session_id, level, text)
        ports, warnings = incoming_plan(incoming, agent.target)
        results = await asyncio.gather(*(connection.subscribe(p, timeout) for p in ports))
        for port, error in zip(ports, results, strict=True):
            if error is None:
                session.mirrored_ports[port] = incoming.local_port(port)
            else:
                warnings.append(f"port {port} is not mirrored: the agent refused it ({error})")
        if session.mirrored_ports:
            session.capabilities["incoming"] = "mirror"
        connection.start_keepalive(*self._keepalive)
        return warnings

    def _agent_log(self, session_id: str, level: str, text: str) -> None:
        """The agent's own log messages: errors reach the user, the rest the log."""
        if level == "error":
            self._notice(session_id, f"the agent reports: {text}")
        else:
            log.log(logging.WARNING if level == "warn" else logging.INFO, "agent: %s", text)

    def _notice(self, session_id: str, message: str) -> None:
        log.warning("session %s: %s", session_id, message)
        if self._on_notice is not None:
            try:
                self._on_notice(session_id, message)
            except Exception:  # noqa: BLE001 - a client that went away must not end the session
                log.exception("reporting a session notice failed")

    # -- liveness -------------------------------------------------------------------

    async def _watch(self, session: Session) -> None:
        """End the session when its agent goes away or the connection dies."""
        connection = session.connection
        pod_watch = asyncio.ensure_future(self._watch_pod(session))
        try:
            if connection is None:
                gone = await pod_watch
                if gone is not None:
                    self._end(session, *gone)
                return
            waits: set[asyncio.Future[Any]] = {pod_watch, connection.ended}
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            exited: tuple[str, str] | None = pod_watch.result() if pod_watch.done() else None
            ended: tuple[str, str] = ("", "")
            if exited is None:
                ended = await connection.ended
                if connection.dropped and not pod_watch.done():
                    # A dropped socket often means the agent went: unlist the
                    # session now, and give the pod watch a moment to say so.
                    self._unlist(session)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(pod_watch), EXIT_GRACE)
                exited = pod_watch.result() if pod_watch.done() else None
            reason, message = exited if exited is not None else ended
        finally:
            pod_watch.cancel()
        self._end(session, reason, message)

    async def _watch_pod(self, session: Session) -> tuple[str, str] | None:
        """Watch the agent pod until it exits; None when it cannot be watched
        (the connection then tells alone)."""
        agent = session.agent
        kube = session.kube
        if kube is None:
            return None
        path = api_url("pod", agent.namespace)
        selector = f"job-name={agent.job}"
        backoff = WatchBackoff(first=WATCH_RETRY, maximum=30.0)
        started: float | None = None
        while True:
            if started is not None:
                # Every end of a watch, error or not, pauses before the next list;
                # the pause grows only while watches keep ending early.
                if time.monotonic() - started >= HEALTHY_WATCH_SECONDS:
                    backoff.reset()
                await asyncio.sleep(backoff.next())
            started = time.monotonic()
            try:
                items, rv = await kube.list_items(path, selector)
                pods = [p for p in items if (p.get("metadata") or {}).get("name") == agent.pod]
                if not pods:
                    return AGENT_EXITED, f"the agent pod `{agent.pod}` is gone"
                ended = pod_exit(pods[0], deleted=False)
                if ended is not None:
                    return AGENT_EXITED, ended
                events = kube.watch(path, rv, selector, WATCH_SECONDS)
                async with contextlib.aclosing(events):
                    async for event in events:
                        kind = event.get("type")
                        obj = event.get("object") or {}
                        if kind == "ERROR":
                            break
                        if (obj.get("metadata") or {}).get("name") != agent.pod:
                            continue
                        ended = pod_exit(obj, deleted=kind == "DELETED")
                        if ended is not None:
                            return AGENT_EXITED, ended
            except Forbidden:
                log.info(
                    "cannot watch agent pod %s/%s; relying on its connection",
                    agent.namespace,
                    agent.pod,
                )
                return None
            except MirrordError as error:
                log.info("watching agent pod %s failed: %s", agent.pod, error)

    def _unlist(self, session: Session) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]

    def _end(self, session: Session, reason: str, message: str) -> None:
        """The session is over: unlisted, reported, its agent deleted."""
        if session.ended:
            return
        session.ended = True
        self._unlist(session)
        session_id = session.id
        log.info("session %s ended (%s): %s", session_id, reason, message)
        self._report_end(session_id, reason, message)
        task = asyncio.ensure_future(self._teardown_quietly(session))
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

    def _report_end(self, session_id: str, reason: str, message: str) -> None:
        if self._on_ended is None:
            return
        try:
            self._on_ended(session_id, reason, message)
        except Exception:  # noqa: BLE001 - the session is gone either way
            log.exception("reporting the end of session %s failed", session_id)

    async def stop(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None or session.ended:
            return False
        session.ended = True
        self._report_end(session_id, STOPPED, "the session was stopped")
        await self._teardown(session)
        return True

    async def _teardown_quietly(self, session: Session) -> None:
        try:
            await self._teardown(session)
        except Exception:  # noqa: BLE001 - a background cleanup only logs
            log.exception("cleaning up session %s failed", session.id)

    async def _teardown(self, session: Session) -> None:
        monitor = session.monitor
        if monitor is not None and monitor is not asyncio.current_task():
            monitor.cancel()
        if session.mirror is not None:
            session.mirror.close()
        if session.connection is not None:
            with contextlib.suppress(Exception):
                await session.connection.close()
        await session.agent.forwarder.close()
        kube = session.kube
        if kube is None or kube.cluster.closed:
            kube = await self._kube()
        await self._launcher(kube).delete_job(session.agent.namespace, session.agent.job)

    def describe_all(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self._sessions.values()]

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def stop_all(self) -> None:
        """Cancel launches in flight (they delete what they created) and stop
        every session."""
        starting = [t for t in self._starting if not t.done() and t is not asyncio.current_task()]
        for task in starting:
            task.cancel()
        if starting:
            await asyncio.gather(*starting, return_exceptions=True)
        sessions = list(self._sessions.values())
        self._sessions.clear()
        for session in sessions:
            session.ended = True
            self._report_end(session.id, SERVER_EXIT, "the language server is shutting down")
        results = await asyncio.gather(
            *(self._teardown(s) for s in sessions), *self._ending, return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                log.warning("stopping a session failed: %s", result)
        # Jobs whose earlier deletion failed (e.g. the cluster was unreachable).
        leftovers = self.live.snapshot()
        if leftovers:
            launcher = self._launcher(await self._kube())
            await asyncio.gather(
                *(launcher.delete_job(ns, name) for ns, name in leftovers),
                return_exceptions=True,
            )

    def stop_all_sync(self) -> int:
        """Delete every agent this process may have created, without an event
        loop (process exit, stdin closed). Returns how many were deleted."""
        kube = self._last_kube
        self._sessions.clear()
        if kube is None:
            return 0
        deleted = 0
        for namespace, name in self.live.snapshot():
            if kube.delete_sync(api_url("job", namespace, name)):
                self.live.discard(namespace, name)
                deleted += 1
        return deleted

    async def reap_orphans(self) -> list[str]:
        """Delete agents created by server processes that no longer run on
        this machine. Returns `namespace/name` of what was deleted."""
        kube = await self._kube()
        selector = f"app=mirrord,{SERVER_LABEL}"
        try:
            jobs, _ = await kube.list_items(api_url("job"), selector)
        except Forbidden:
            jobs, _ = await kube.list_items(api_url("job", kube.default_namespace), selector)
        launcher = self._launcher(kube)
        removed: list[str] = []
        for job in jobs:
            meta = job.get("metadata") or {}
            owner = Owner.from_annotation(
                str((meta.get("annotations") or {}).get(OWNER_ANNOTATION))
            )
            if owner is None or not owner_gone(owner, self.owner):
                continue
            ns, name = str(meta.get("namespace")), str(meta.get("name"))
            if await launcher.delete_job(ns, name):
                removed.append(f"{ns}/{name}")
        if removed:
            log.info("removed %d agent(s) left by servers that exited", len(removed))
        return removed


async def _with_env_file(settings: EnvSettings, request: StartRequest) -> EnvSettings:
    """`settings` with the variables of its env file, when it names one."""
    if not settings.env_file:
        return settings
    path = env_file_path(settings.env_file, request.workspace, request.config_path)
    values = await asyncio.to_thread(read_env_file, path)
    return replace(settings, file_env=values)


async def reap_quietly(manager: SessionManager) -> None:
    """`reap_orphans` for a background start-up task: errors are only logged."""
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await manager.reap_orphans()
        except MirrordError as error:
            log.info("could not check for leftover agents: %s", error)
        except Exception:  # noqa: BLE001 - a background check must not fail loudly
            log.exception("checking for leftover agents failed")


def pod_exit(pod: Mapping[str, Any], *, deleted: bool) -> str | None:
    """Why the agent pod is no longer serving, or None while it is."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    name = meta.get("name", "?")
    if deleted:
        return f"the agent pod `{name}` was deleted"
    reason = status.get("reason")
    if reason == "Evicted":
        detail = status.get("message")
        return f"the agent pod `{name}` was evicted" + (f": {detail}" if detail else "")
    phase = status.get("phase")
    if phase in ("Failed", "Succeeded"):
        detail = f" ({reason})" if reason else ""
        return f"the agent exited: pod `{name}` is {phase}{detail}"
    if meta.get("deletionTimestamp"):
        return f"the agent pod `{name}` is being deleted"
    for container in status.get("containerStatuses") or []:
        terminated = ((container or {}).get("state") or {}).get("terminated")
        if terminated:
            code = terminated.get("exitCode")
            return f"the agent exited (code {code}) in pod `{name}`"
    return None
