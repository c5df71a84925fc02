"""Debug sessions: one agent and one port-forward each, from start to stop.

`SessionManager` is the state the LSP layer keeps on the server object:
`start` launches an agent and returns the contract's `mirrord/startSession`
result; `stop`, `list` and `stop_all` (server exit) end sessions and delete
their agents; `reap_orphans` removes agents whose server process is gone.

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
from dataclasses import dataclass, field
from typing import Any

from mirrord_ide.agent.kube import AgentKube, namespaced
from mirrord_ide.agent.launcher import LaunchedAgent, Launcher, LaunchPlan, LiveAgents, Progress
from mirrord_ide.agent.owner import current_owner, owner_gone
from mirrord_ide.agent.settings import agent_settings, env_settings
from mirrord_ide.agent.spec import OWNER_ANNOTATION, SERVER_LABEL, Owner
from mirrord_ide.config.precedence import UNSET, resolve_selection
from mirrord_ide.errors import Forbidden, MirrordError

log = logging.getLogger(__name__)

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

    def describe(self) -> dict[str, Any]:
        agent = self.agent
        return {
            "sessionId": self.id,
            "target": self.target,
            "namespace": self.namespace,
            "agent": {
                "pod": agent.pod,
                "namespace": agent.namespace,
                "node": agent.node,
                "port": agent.port,
                "localAddress": agent.forwarder.local_address,
            },
            "startedAt": self.started,
        }


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
    ) -> None:
        self._kube_factory = kube
        self.owner = owner or current_owner()
        self._choose = chooser
        self._sessions: dict[str, Session] = {}
        self._starting: set[asyncio.Task[Any]] = set()
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
                env_settings=env_settings(request.config, request.env),
                session_id=session_id,
                owner=self.owner,
            )
            agent = await self._launcher(kube).launch(plan, progress or (lambda *_: None))
        finally:
            if task is not None:
                self._starting.discard(task)
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
        )
        self._sessions[session_id] = session
        result = session.describe()
        result.pop("startedAt", None)
        result["env"] = env
        result["envToUnset"] = session.env_to_unset
        result["warnings"] = list(agent.warnings)
        return result

    async def stop(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        await self._teardown(session)
        return True

    async def _teardown(self, session: Session) -> None:
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
        results = await asyncio.gather(
            *(self._teardown(s) for s in sessions), return_exceptions=True
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
            if kube.delete_sync(namespaced(namespace, "jobs", name, group="batch/v1")):
                self.live.discard(namespace, name)
                deleted += 1
        return deleted

    async def reap_orphans(self) -> list[str]:
        """Delete agents created by server processes that no longer run on
        this machine. Returns `namespace/name` of what was deleted."""
        kube = await self._kube()
        selector = f"app=mirrord,{SERVER_LABEL}"
        try:
            jobs, _ = await kube.list_items("/apis/batch/v1/jobs", selector)
        except Forbidden:
            jobs, _ = await kube.list_items(
                f"/apis/batch/v1/namespaces/{kube.default_namespace}/jobs", selector
            )
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


async def reap_quietly(manager: SessionManager) -> None:
    """`reap_orphans` for a background start-up task: errors are only logged."""
    with contextlib.suppress(asyncio.CancelledError):
        try:
            await manager.reap_orphans()
        except MirrordError as error:
            log.info("could not check for leftover agents: %s", error)
        except Exception:  # noqa: BLE001 - a background check must not fail loudly
            log.exception("checking for leftover agents failed")
