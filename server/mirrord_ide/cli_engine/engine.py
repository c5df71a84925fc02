"""The `mirrord-cli` session engine: sessions started by the user's mirrord CLI.

`CliEngine.start` resolves the target and namespaces with the server's own precedence
(the same resolution the picker shows), runs `<cli> ext` with them, and returns the
contract's `mirrord/startSession` result once the CLI hands over. mirrord owns the
agent; the server owns the CLI's process group: until the handover it is the launch
(cancel and stop end it), afterwards it holds mirrord's internal proxy, and the
session ends when that group is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from mirrord_ide.agent.settings import incoming_settings
from mirrord_ide.cli_engine.discover import CliInfo, Discovery, VersionCache, discover
from mirrord_ide.cli_engine.ext import ExtRun, Progress, group_alive, reap_group
from mirrord_ide.errors import MirrordError

log = logging.getLogger(__name__)

# mirrord's own default for `agent.startup_timeout` (mirrord/config/src/agent.rs).
DEFAULT_STARTUP_TIMEOUT = 60.0
# Seconds of silence allowed beyond the agent's start-up timeout before the CLI is
# stopped; the environment variable overrides it.
SILENCE_SLACK = 30.0
SILENCE_SLACK_ENV = "MIRRORD_IDE_CLI_SILENCE_SLACK"
# `MIRRORD_IDE_NAME` values mirrord knows (mirrord/progress/src/lib.rs), by client name.
IDE_NAMES = {"visual studio code": "vscode", "code - oss": "vscode", "vscodium": "vscode"}
DEFAULT_IDE_NAME = "mirrord-ide"

EndedCallback = Callable[[str, str, str], None]


@dataclass(frozen=True, slots=True)
class CliContext:
    """What the server adds to a start request for the CLI."""

    cli: CliInfo
    config_uri: str | None = None
    client_name: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    environ: Mapping[str, str] | None = None  # the server's environment (default: os.environ)
    cwd: str | None = None  # the workspace folder: relative paths in the config start there


@dataclass(slots=True)
class CliSession:
    id: str
    target: str | None
    namespace: str
    cli: CliInfo
    run: ExtRun
    capabilities: dict[str, Any]
    started: float
    watcher: asyncio.Task[None] | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "sessionId": self.id,
            "engine": "mirrord-cli",
            "target": self.target,
            "namespace": self.namespace,
            "agent": None,
            "cli": self.cli.describe(),
            "capabilities": self.capabilities,
            "startedAt": self.started,
        }


# -- what the session gives ---------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _env_flag(env: Mapping[str, str], name: str) -> bool | None:
    value = env.get(name, "").strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    return None


def capabilities(
    config: Mapping[str, Any], env: Mapping[str, str], targetless: bool
) -> dict[str, Any]:
    """What a mirrord CLI session gives the debuggee, from the resolved config and
    the env overrides mirrord reads (mirrord/config/src/feature/network/*.rs, fs.rs)."""
    feature = _mapping(config.get("feature"))
    network_value = feature.get("network", True)
    network = _mapping(network_value)
    network_off = network_value is False

    try:
        # The same reading of `feature.network.incoming` and its env override as the
        # builtin engine's; the CLI accepted the config, so a value this reading
        # refuses only falls back to mirrord's default.
        incoming = incoming_settings(config, env).mode
    except MirrordError:
        incoming = "mirror"
    if network_off or targetless:
        # A targetless agent sits in its own pod: nobody sends it the target's traffic.
        incoming = "off"

    outgoing_value = network.get("outgoing", True)
    if isinstance(outgoing_value, bool):
        tcp = udp = outgoing_value
    else:
        outgoing_section = _mapping(outgoing_value)
        tcp = outgoing_section.get("tcp", True) is not False
        udp = outgoing_section.get("udp", True) is not False
    tcp_env = _env_flag(env, "MIRRORD_TCP_OUTGOING")
    udp_env = _env_flag(env, "MIRRORD_UDP_OUTGOING")
    tcp = tcp if tcp_env is None else tcp_env
    udp = udp if udp_env is None else udp_env
    outgoing = not network_off and bool(tcp or udp)

    fs_value = feature.get("fs", "read")
    if isinstance(fs_value, bool):
        fs_mode = "read" if fs_value else "local"
    elif isinstance(fs_value, str):
        fs_mode = fs_value
    else:
        fs_mode = str(_mapping(fs_value).get("mode") or "read")
    fs_mode = env.get("MIRRORD_FILE_MODE", "").strip().lower() or fs_mode
    files = fs_mode != "local"

    return {"env": "process", "incoming": incoming, "outgoing": outgoing, "files": files}


# -- the kube side ------------------------------------------------------------------

_namespace_cache: dict[tuple[Any, ...], str] = {}


def kube_namespace(kubeconfig: str | None, context: str | None, environ: Mapping[str, str]) -> str:
    """The namespace of the kube context in use (kubectl's rule), read from the
    kubeconfig files alone: no client, no cluster call. `default` when the
    kubeconfig is missing or unreadable (the CLI reports that itself)."""
    from mirrord_ide.cluster.kubeconfig import KubeSettings, context_identity, kubeconfig_paths

    settings = KubeSettings(kubeconfig, context)
    stamps = []
    for path in kubeconfig_paths(settings, environ):
        with contextlib.suppress(OSError):
            stamps.append((path, os.stat(path).st_mtime_ns))
    key = (tuple(stamps), context)
    cached = _namespace_cache.get(key)
    if cached is not None:
        return cached
    try:
        namespace = context_identity(settings, environ).namespace
    except MirrordError:
        namespace = "default"
    _namespace_cache.clear()
    _namespace_cache[key] = namespace
    return namespace


def config_path(uri: str | None) -> str | None:
    """The file path mirrord gets with `-f`, from a `file://` URI or a path."""
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # a plain path (or a drive letter)
        return uri
    return None


def ide_name(client_name: str | None) -> str:
    if not client_name:
        return DEFAULT_IDE_NAME
    lowered = client_name.strip().lower()
    if lowered in IDE_NAMES:
        return IDE_NAMES[lowered]
    if any(word in lowered for word in ("intellij", "jetbrains", "pycharm", "goland", "rider")):
        return "intellij"
    return client_name.strip()


def silence_timeout(startup_timeout: float, environ: Mapping[str, str]) -> float:
    slack = SILENCE_SLACK
    with contextlib.suppress(ValueError):
        value = float(environ.get(SILENCE_SLACK_ENV, ""))
        if value >= 0:
            slack = value
    return max(0.0, startup_timeout) + slack


# -- the engine -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Launch:
    """A prepared `ext` run: what to run and what the result will say."""

    argv: list[str]
    env: dict[str, str]
    target: str | None
    namespace: str
    capabilities: dict[str, Any]
    silence_timeout: float
    debugger_detector: str | None


class CliEngine:
    """The server's CLI sessions. `on_ended(session_id, reason, message)` is called
    once for each session that ends, whatever ends it."""

    def __init__(self, on_ended: EndedCallback | None = None) -> None:
        self.versions = VersionCache()
        self.on_ended = on_ended
        self._sessions: dict[str, CliSession] = {}
        self._starting: set[ExtRun] = set()

    async def discover(
        self, cli_path: str | None, environ: Mapping[str, str] | None = None
    ) -> Discovery:
        return await discover(self.versions, cli_path, environ)

    def prepare(self, request: Any, context: CliContext) -> Launch:
        """Resolve the selection and build the command line and env (no I/O beyond
        reading the kubeconfig files)."""
        from mirrord_ide.agent.sessions import DEBUGGER_PORT_DETECTORS
        from mirrord_ide.agent.settings import agent_settings, config_as_dict
        from mirrord_ide.config.precedence import (
            ENV_AGENT_NAMESPACE,
            ENV_TARGET_NAMESPACE,
            resolve_selection,
        )

        environ = dict(os.environ if context.environ is None else context.environ)
        debuggee_env = {str(k): str(v) for k, v in dict(request.env or {}).items()}
        merged = {**environ, **debuggee_env}
        kubeconfig = os.path.expanduser(context.kubeconfig) if context.kubeconfig else None
        selection = resolve_selection(
            request_target=request.target,
            request_namespace=request.namespace,
            request_agent_namespace=request.agent_namespace,
            env=debuggee_env,
            server_env=environ,
            config=request.config,
            kube_namespace=kube_namespace(kubeconfig, context.context, merged),
        )
        target = selection.target
        targetless = target is None or target.is_targetless
        config = config_as_dict(request.config)

        argv = [context.cli.path, "ext", "-t", "targetless" if targetless else target.canonical]  # type: ignore[union-attr]
        path = config_path(context.config_uri)
        if path:
            argv += ["-f", path]

        env = dict(merged)
        env["MIRRORD_PROGRESS_MODE"] = "json"
        env["MIRRORD_PROGRESS_SUPPORT_IDE"] = "true"
        env["MIRRORD_IDE_NAME"] = ide_name(context.client_name)
        if selection.namespace_source != "none":
            env[ENV_TARGET_NAMESPACE] = selection.namespace
        if selection.agent_namespace:
            env[ENV_AGENT_NAMESPACE] = selection.agent_namespace
        # The cluster the server (and so the picker) uses, unless the debuggee's env or
        # the config file names one: mirrord reads those itself.
        if kubeconfig and "MIRRORD_KUBECONFIG" not in debuggee_env:
            env["KUBECONFIG"] = kubeconfig
        if (
            context.context
            and "MIRRORD_KUBE_CONTEXT" not in debuggee_env
            and not config.get("kube_context")
        ):
            env["MIRRORD_KUBE_CONTEXT"] = context.context

        startup = agent_settings(request.config, merged).startup_timeout
        return Launch(
            argv=argv,
            env=env,
            target=None if targetless else target.canonical,  # type: ignore[union-attr]
            namespace=selection.namespace,
            capabilities=capabilities(config, merged, targetless),
            silence_timeout=silence_timeout(startup or DEFAULT_STARTUP_TIMEOUT, environ),
            debugger_detector=DEBUGGER_PORT_DETECTORS.get((request.debug_type or "").lower()),
        )

    async def start(
        self, request: Any, context: CliContext, progress: Progress | None = None
    ) -> dict[str, Any]:
        launch = self.prepare(request, context)
        cwd = context.cwd if context.cwd and os.path.isdir(context.cwd) else None
        run = ExtRun(launch.argv, launch.env, silence_timeout=launch.silence_timeout, cwd=cwd)
        self._starting.add(run)
        try:
            handover = await run.start(progress or (lambda *_: None))
        finally:
            self._starting.discard(run)
        session = CliSession(
            id=str(uuid.uuid4()),
            target=launch.target,
            namespace=launch.namespace,
            cli=context.cli,
            run=run,
            capabilities=launch.capabilities,
            started=time.time(),
        )
        self._sessions[session.id] = session
        session.watcher = asyncio.ensure_future(self._watch(session))
        env = dict(handover.environment)
        if launch.debugger_detector and "MIRRORD_DETECT_DEBUGGER_PORT" not in env:
            env["MIRRORD_DETECT_DEBUGGER_PORT"] = launch.debugger_detector
        result = session.describe()
        result.pop("startedAt", None)
        result["env"] = env
        result["envToUnset"] = handover.env_to_unset
        result["warnings"] = handover.warnings
        result["info"] = handover.info
        if handover.patched_path:
            result["patchedPath"] = handover.patched_path
        result["usesOperator"] = handover.uses_operator
        return result

    async def _watch(self, session: CliSession) -> None:
        try:
            ended = await session.run.watch()
        except asyncio.CancelledError:
            return
        except Exception:  # noqa: BLE001 - a watcher must not die loudly
            log.exception("watching a mirrord session failed")
            ended = ("cli-exited", "mirrord's session could not be followed")
        if ended is None or self._sessions.pop(session.id, None) is None:
            return
        self._notify(session.id, *ended)

    def _notify(self, session_id: str, reason: str, message: str) -> None:
        if self.on_ended is not None:
            try:
                self.on_ended(session_id, reason, message)
            except Exception:  # noqa: BLE001 - one listener must not break the engine
                log.exception("session-ended listener failed")

    def owns(self, session_id: str) -> bool:
        return session_id in self._sessions

    async def stop(self, session_id: str, reason: str = "stopped") -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        await session.run.terminate()
        if session.watcher is not None:
            session.watcher.cancel()
        message = {
            "stopped": "the session was stopped",
            "server-exit": "the language server is shutting down",
        }.get(reason, reason)
        self._notify(session_id, reason, message)
        return True

    def describe_all(self) -> list[dict[str, Any]]:
        return [s.describe() for s in self._sessions.values()]

    async def stop_all(self) -> None:
        runs = list(self._starting)
        await asyncio.gather(*(run.terminate() for run in runs), return_exceptions=True)
        ids = list(self._sessions)
        await asyncio.gather(*(self.stop(i, "server-exit") for i in ids), return_exceptions=True)

    def stop_all_sync(self, wait: float = 1.0) -> None:
        """Kill every CLI group without an event loop (process exit), and reap what
        became this process's children for up to `wait` seconds, so nothing is left
        for init to collect after this process is gone."""
        runs = [*self._starting, *(s.run for s in self._sessions.values())]
        self._sessions.clear()
        groups = [pgid for pgid in (run.kill_now() for run in runs) if pgid is not None]
        deadline = time.monotonic() + wait
        while groups and time.monotonic() < deadline:
            for pgid in groups:
                reap_group(pgid)
            groups = [pgid for pgid in groups if group_alive(pgid)]
            if groups:
                time.sleep(0.01)
