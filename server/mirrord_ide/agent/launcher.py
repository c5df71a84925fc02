"""Launching one agent: resolve the target, create the Job, wait for its pod
by watching it, open the port-forward, then connect to the agent through it
(protocol handshake) and read the target process's environment.

Progress goes to a callback `(title, message, percentage)`. Cancelling the
launch at any step (asyncio cancellation) deletes whatever was created; so
does any failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mirrord_ide.agent import readiness
from mirrord_ide.agent.client import AgentConnection, AgentError, connect_agent
from mirrord_ide.agent.env import RemoteEnv, apply_process_env, fetch_remote_env
from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.portforward import PortForwarder
from mirrord_ide.agent.resolve import (
    WORKLOAD_KINDS,
    ResolvedTarget,
    label_selector_string,
    resolve_pod,
    resolve_workload,
    selector_of,
)
from mirrord_ide.agent.settings import AGENT_VERSION, AgentSettings, EnvSettings
from mirrord_ide.agent.spec import (
    HOSTNAME_LABEL,
    AgentRequest,
    Owner,
    agent_name,
    agent_port,
    build_agent_job,
    check_dns1123_label,
    choose_agent_namespace,
)
from mirrord_ide.cluster.catalog import WatchBackoff
from mirrord_ide.cluster.kinds import api_url
from mirrord_ide.errors import (
    ClusterUnreachable,
    Conflict,
    Forbidden,
    InvalidConfig,
    MirrordError,
    NotFound,
    Timeout,
)

log = logging.getLogger(__name__)

Progress = Callable[[str, str | None, int | None], None]

STEP_RESOLVE = "Resolving target"
STEP_CREATE = "Creating agent"
STEP_WAIT = "Waiting for agent"
STEP_CONNECT = "Connecting"
# Seconds between attempts to delete an agent when the cluster fails transiently.
DELETE_RETRY_PAUSES = (0.2, 0.5, 1.0)


def _checkpoint() -> None:
    """Raise if this task was asked to cancel. `asyncio.wait_for` (3.11) can
    swallow a cancellation that races with its result; the request stays
    recorded on the task, so each step boundary honours it here."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _no_progress(title: str, message: str | None, percentage: int | None) -> None:
    pass


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    """What to launch. `target_kind`/`target_name`/`container` are None for targetless."""

    namespace: str
    agent_namespace: str | None
    target_kind: str | None
    target_name: str | None
    container: str | None
    target_path: str | None
    settings: AgentSettings
    env_settings: EnvSettings
    session_id: str
    owner: Owner


@dataclass(slots=True)
class LaunchedAgent:
    job: str
    namespace: str
    pod: str
    node: str | None
    port: int
    target: ResolvedTarget | None
    forwarder: PortForwarder
    remote_env: RemoteEnv = field(default_factory=RemoteEnv)
    agent_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The server's own connection to the agent (handshake done).
    connection: AgentConnection | None = None
    # Where `remote_env` came from: "process" (the agent read the target
    # process's env) or "spec" (the pod spec, when the agent could not).
    env_source: str = "process"
    protocol_version: str | None = None


class LiveAgents:
    """Agent Jobs that may exist: from just before their POST until their
    deletion succeeded. What a process exit must still delete."""

    def __init__(self) -> None:
        self._jobs: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def add(self, namespace: str, name: str) -> None:
        with self._lock:
            self._jobs.add((namespace, name))

    def discard(self, namespace: str, name: str) -> None:
        with self._lock:
            self._jobs.discard((namespace, name))

    def snapshot(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self._jobs)


class Launcher:
    def __init__(
        self,
        kube: AgentKube,
        rng: random.Random | None = None,
        live: LiveAgents | None = None,
    ) -> None:
        self.kube = kube
        self._rng = rng or random.SystemRandom()
        self.live = live or LiveAgents()

    # -- target ----------------------------------------------------------------

    async def resolve_target(self, plan: LaunchPlan) -> ResolvedTarget:
        kind, name, ns = plan.target_kind, plan.target_name or "", plan.namespace
        path = plan.target_path or f"{kind}/{name}"
        check_dns1123_label(ns, "namespace")
        if kind == "pod":
            pod = await self._get_target(api_url("pod", ns, name), "pod", name, ns)
            return resolve_pod(pod, plan.container, path=path)
        if kind in WORKLOAD_KINDS:
            workload = await self._get_target(api_url(kind, ns, name), kind, name, ns)
            ref = (workload.get("spec") or {}).get("workloadRef")
            if kind == "rollout" and not (workload.get("spec") or {}).get("selector") and ref:
                # A rollout may borrow its pod template (and selector) from a Deployment.
                workload = await self._get_target(
                    api_url("deployment", ns, str(ref.get("name"))),
                    "deployment",
                    str(ref.get("name")),
                    ns,
                )
            selector = label_selector_string(selector_of(workload, kind))
            pods, _ = await self.kube.list_items(api_url("pod", ns), selector)
            return resolve_workload(kind, name, ns, pods, plan.container, path=path)
        raise Conflict(
            f"target type `{kind}` requires the mirrord operator",
            hint="without the operator, target a pod, deployment, rollout or statefulset",
        )

    async def _get_target(self, path: str, kind: str, name: str, ns: str) -> dict[str, Any]:
        try:
            return await self.kube.get(path)
        except NotFound:
            pass
        # Tell a missing namespace apart from a missing object.
        if await self.kube.get_optional(api_url("namespace", name=ns)) is None:
            raise NotFound(
                f"namespace `{ns}` not found",
                hint="check `kubectl get namespaces` or the namespace the target is looked up in",
            ) from None
        raise NotFound(
            f"{kind} `{name}` not found in namespace `{ns}`",
            hint=f"list what exists with `kubectl get {kind}s -n {ns}` or pick another target",
        ) from None

    async def _node_hostname(self, node: str) -> str | None:
        """The node's `kubernetes.io/hostname` label (None when unreadable)."""
        try:
            obj = await self.kube.get(api_url("node", name=node))
        except (NotFound, Forbidden, InvalidConfig):
            return None
        labels = (obj.get("metadata") or {}).get("labels") or {}
        value = labels.get(HOSTNAME_LABEL)
        return str(value) if value else None

    async def _fetch(self, namespace: str, kind: str, name: str) -> Mapping[str, Any] | None:
        """An env source, None when missing; `Forbidden` propagates so the
        warning says the object could not be read rather than not found."""
        try:
            return await self.kube.get(api_url(kind, namespace, name))
        except (NotFound, InvalidConfig):  # a name Kubernetes rejects names nothing
            return None

    # -- launch ----------------------------------------------------------------

    async def launch(self, plan: LaunchPlan, progress: Progress = _no_progress) -> LaunchedAgent:
        settings = plan.settings
        name = agent_name(self._rng)
        port = agent_port(self._rng)
        created: asyncio.Future[Any] | None = None
        namespace = ""
        forwarder: PortForwarder | None = None
        connection: AgentConnection | None = None
        # Names end up in URLs and objects: reject bad ones before any API call.
        check_dns1123_label(plan.namespace, "namespace")
        if plan.agent_namespace:
            check_dns1123_label(plan.agent_namespace, "agent namespace")
        try:
            progress(STEP_RESOLVE, plan.target_path or "targetless", 5)
            target = await self.resolve_target(plan) if plan.target_kind else None
            namespace = choose_agent_namespace(
                requested=plan.agent_namespace,
                target_namespace=plan.namespace,
                targetless=target is None,
            )
            hostname: str | None = None
            if target is not None:
                hostname = await self._node_hostname(target.node)

            _checkpoint()
            progress(STEP_CREATE, f"{namespace}/{name}", 25)
            manifest = build_agent_job(
                AgentRequest(
                    name=name,
                    namespace=namespace,
                    port=port,
                    session_id=plan.session_id,
                    owner=plan.owner,
                    target=target,
                    node_hostname=hostname,
                ),
                settings,
                self._rng,
            )
            # Not cancelled with the launch: cleanup waits for it so a Job whose
            # POST was in flight is still deleted.
            self.live.add(namespace, name)
            created = asyncio.ensure_future(
                self.kube.create(
                    api_url("job", namespace),
                    manifest,
                    f"creating agent Job `{name}` in namespace `{namespace}`",
                )
            )
            await self._created(created, namespace)

            _checkpoint()
            progress(STEP_WAIT, f"pod of Job {name}", 50)
            pod, version = await self._wait_ready(namespace, name, settings)

            _checkpoint()
            progress(STEP_CONNECT, f"port-forward to {pod}:{port}", 85)
            forwarder = PortForwarder(self.kube.open_portforward, namespace, pod, port)
            await forwarder.start()
            _checkpoint()
            progress(STEP_CONNECT, "agent protocol handshake", 90)
            timeout = float(settings.communication_timeout)
            try:
                connection = await connect_agent("127.0.0.1", forwarder.local_port, timeout)
                protocol_version = await connection.handshake(timeout)
            except AgentError:
                # The port-forward itself failed: its error says why (e.g. forbidden).
                if isinstance(forwarder.last_error, MirrordError):
                    raise forwarder.last_error from None
                raise
            _checkpoint()
            remote_env, env_source = await self._process_env(connection, plan, target, timeout)
            warnings = list(remote_env.warnings)
            if version and version != AGENT_VERSION:
                warnings.append(
                    f"Agent version {version} does not match the local mirrord version "
                    f"{AGENT_VERSION}. This may lead to unexpected errors."
                )
            _checkpoint()
            progress(STEP_CONNECT, f"agent ready at {forwarder.local_address}", 100)
            return LaunchedAgent(
                job=name,
                namespace=namespace,
                pod=pod,
                node=target.node if target is not None else None,
                port=port,
                target=target,
                forwarder=forwarder,
                remote_env=remote_env,
                agent_version=version,
                warnings=warnings,
                connection=connection,
                env_source=env_source,
                protocol_version=protocol_version,
            )
        except BaseException:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(connection.close())
            cleanup = asyncio.ensure_future(self._undo(created, namespace, name, forwarder))
            with contextlib.suppress(Exception):
                await asyncio.shield(cleanup)
            raise

    async def _process_env(
        self,
        connection: AgentConnection,
        plan: LaunchPlan,
        target: ResolvedTarget | None,
        timeout: float,
    ) -> tuple[RemoteEnv, str]:
        """The env of the target's process as the agent reads it, with
        `feature.env` applied; the pod spec's env when the agent reports it
        cannot read it (then the source is "spec")."""
        settings = plan.env_settings
        if not settings.fetch_process_env:
            # mirrord asks nothing of the agent when both filters are empty.
            return apply_process_env({}, settings), "process"
        answer = await connection.get_env(settings.process_filter, settings.process_select, timeout)
        if answer.env is not None:
            return apply_process_env(answer.env, settings), "process"
        reason = answer.error or "no reason given"
        if target is None:
            env = apply_process_env({}, settings)
            env.warnings.append(f"the agent could not read its process environment: {reason}")
            return env, "spec"
        env = await fetch_remote_env(
            lambda kind, n: self._fetch(target.namespace, kind, n),
            target.pod_object,
            target.container,
            settings,
        )
        env.warnings.insert(
            0,
            f"the agent could not read the target process's environment ({reason}); "
            "the variables come from the pod spec instead (image variables are missing)",
        )
        return env, "spec"

    @staticmethod
    async def _created(created: asyncio.Future[Any], namespace: str) -> None:
        """Await the Job's POST, explaining the errors users can act on."""
        try:
            await asyncio.shield(created)
        except NotFound:
            raise NotFound(
                f"agent namespace `{namespace}` not found",
                hint="create it, or change `agent.namespace` / MIRRORD_AGENT_NAMESPACE / "
                "the request's `agentNamespace`",
            ) from None
        except Forbidden as error:
            raise Forbidden(
                error.message,
                hint=f"you may not create Jobs in namespace `{namespace}`: ask for RBAC access "
                "or run the agent elsewhere with `agent.namespace`",
            ) from None

    async def _undo(
        self,
        created: asyncio.Future[Any] | None,
        namespace: str,
        name: str,
        forwarder: PortForwarder | None,
    ) -> None:
        if forwarder is not None:
            await forwarder.close()
        if created is None:
            return
        with contextlib.suppress(BaseException):
            await created
        refused = (
            created.done()
            and not created.cancelled()
            and isinstance(created.exception(), MirrordError)
            and not isinstance(created.exception(), Timeout | ClusterUnreachable)
        )
        if refused:
            # The API server answered "no": there is nothing to delete.
            self.live.discard(namespace, name)
            return
        # A POST that timed out or was cut off may still have landed: delete.
        # When its outcome is unknown (timed out, or the loop shutting down
        # cancelled the wait while the request thread still runs) the Job may
        # land after this delete: then it stays tracked, and the exit-time
        # sweep, which runs once request threads finished, deletes it.
        settled = created.done() and not created.cancelled() and created.exception() is None
        await self.delete_job(namespace, name, forget_if_missing=settled)

    async def delete_job(
        self, namespace: str, name: str, *, forget_if_missing: bool = True
    ) -> bool:
        """Delete an agent Job and (by propagation) its pod; False if it was gone.
        A failure the cluster may get over (5xx, a cut connection, a timeout) is
        retried briefly: an agent left running costs the user a pod."""
        path = api_url("job", namespace, name)
        for attempt, pause in enumerate((*DELETE_RETRY_PAUSES, None)):
            try:
                existed = await self.kube.delete(
                    path, f"deleting agent Job `{name}`", propagation="Background"
                )
                break
            except (ClusterUnreachable, Timeout) as error:
                if pause is None:
                    log.warning("could not delete agent Job %s/%s: %s", namespace, name, error)
                    return False
                log.info(
                    "deleting agent Job %s/%s (attempt %d): %s", namespace, name, attempt + 1, error
                )
                await asyncio.sleep(pause)
            except MirrordError as error:
                log.warning("could not delete agent Job %s/%s: %s", namespace, name, error)
                return False
        if existed or forget_if_missing:
            self.live.discard(namespace, name)
        return existed

    # -- waiting ---------------------------------------------------------------

    async def _wait_ready(
        self, namespace: str, job: str, settings: AgentSettings
    ) -> tuple[str, str | None]:
        """Watch the Job's pod until it is ready; returns (pod name, agent version)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.startup_timeout
        last = "no pod created yet"
        selector = f"job-name={job}"
        pods_path = api_url("pod", namespace)
        pod_name: str | None = None
        backoff = WatchBackoff(first=0.1, maximum=5.0)
        try:
            async with asyncio.timeout_at(deadline):
                while True:
                    items, rv = await self.kube.list_items(pods_path, selector)
                    verdict: readiness.Verdict | None = None
                    for item in items:
                        pod_name = (item.get("metadata") or {}).get("name")
                        verdict = readiness.assess(item, job, image=settings.image)
                        last = verdict.state
                    if verdict is not None and (verdict.ready or verdict.error):
                        if verdict.error:
                            raise verdict.error
                        break
                    remaining = max(1, int(deadline - loop.time()) + 1)
                    ready = False
                    events = self.kube.watch(pods_path, rv, selector, remaining)
                    async with contextlib.aclosing(events):
                        async for event in events:
                            kind = event.get("type")
                            obj = event.get("object") or {}
                            if kind == "ERROR":
                                break  # e.g. 410 Gone: list again
                            if kind not in ("ADDED", "MODIFIED", "DELETED"):
                                continue
                            pod_name = (obj.get("metadata") or {}).get("name")
                            verdict = readiness.assess(
                                obj, job, image=settings.image, deleted=kind == "DELETED"
                            )
                            last = verdict.state
                            if verdict.error:
                                raise verdict.error
                            if verdict.ready:
                                ready = True
                                break
                    if ready:
                        break
                    # The watch ended early (error or not): pause before listing again.
                    await asyncio.sleep(backoff.next())
                assert pod_name is not None
                _checkpoint()
                version = await self._ready_line(namespace, pod_name, job)
                return pod_name, version
        except TimeoutError:
            what = f"pod `{pod_name}`" if pod_name else f"the pod of Job `{job}`"
            raise Timeout(
                f"Timeout waiting for agent to be ready after {settings.startup_timeout:g}s: "
                f"{what} is {last}",
                hint=f"raise `agent.startup_timeout` or check `kubectl describe pod -n {namespace} "
                f"-l job-name={job}`",
            ) from None

    async def _ready_line(self, namespace: str, pod: str, container: str) -> str | None:
        """Follow the agent's log to its `agent ready` line; a cluster that
        does not serve logs (forbidden, missing) is taken as ready."""
        try:
            lines = self.kube.follow_log(namespace, pod, container)
            async with contextlib.aclosing(lines):
                async for line in lines:
                    found, version = readiness.agent_version(line)
                    if found:
                        return version
        except Timeout:
            raise
        except MirrordError as error:
            log.info("agent log unavailable (%s); going by pod readiness", error.kind)
        return None
