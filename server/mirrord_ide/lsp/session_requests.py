"""`mirrord/startSession`, `mirrord/stopSession`, `mirrord/listSessions`.

A thin adapter from LSP to `mirrord_ide.agent.sessions.SessionManager`:
params in, work-done progress out, both cancellation channels honoured
(`$/cancelRequest` cancels the handler; `window/workDoneProgress/cancel`
cancels the launch), and every session's agent removed on `shutdown`,
`exit`, or when the client goes away (stdin closed).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import inspect
import logging
import signal
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types

from mirrord_ide.errors import Cancelled, InvalidConfig, MirrordError
from mirrord_ide.lsp.edge import custom_request

log = logging.getLogger(__name__)

SESSIONS = "sessions"
START_TIMEOUT_SLACK = 30.0
THREAD_THRESHOLD_CHARS = 20_000
# Seconds after `initialized` before leftover agents are looked for.
REAP_DELAY = 2.0


async def _cluster_client(ls: Any) -> Any:
    """The shared cluster connection (the target requests' service)."""
    from mirrord_ide.lsp.target_requests import cluster_service

    return await cluster_service(ls).client()


def session_manager(ls: Any) -> Any:
    """The server's SessionManager, created on first use."""
    manager = ls.services.get(SESSIONS)
    if manager is None:
        from mirrord_ide.agent.kube import AgentKube
        from mirrord_ide.agent.sessions import SessionManager

        kubes: dict[int, AgentKube] = {}

        async def kube() -> AgentKube:
            client = await _cluster_client(ls)
            # One facade per connection: a settings change brings a new client.
            if id(client) not in kubes:
                kubes.clear()
                kubes[id(client)] = AgentKube(client)
                # The client may vanish without `shutdown` (stdin closed, IDE
                # killed): the agents still go when this process exits. Exit
                # handlers run last-registered first, and the kubernetes client
                # deletes its certificate files in one registered while loading
                # the kubeconfig: re-register so ours runs before it.
                atexit.unregister(manager.stop_all_sync)
                atexit.register(manager.stop_all_sync)
            return kubes[id(client)]

        manager = SessionManager(kube)
        ls.services[SESSIONS] = manager
        _exit_cleanly_on_sigterm()
    return manager


def _exit_cleanly_on_sigterm() -> None:
    """Make SIGTERM a normal exit so the exit-time cleanup runs (by default
    SIGTERM ends the process without it). Leaves any other handler alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)


# -- config -------------------------------------------------------------------------


def _uri_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path) if parsed.scheme else uri)
    raise InvalidConfig(f"unsupported config URI `{uri}`", hint="use a file:// URI")


def _document_text(ls: Any, uri: str) -> str:
    with contextlib.suppress(Exception):
        document = ls.workspace.get_text_document(uri)
        if document is not None and uri in getattr(ls.workspace, "text_documents", {}):
            return str(document.source)
    path = _uri_path(uri)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidConfig(
            f"cannot read the config file {path}: {error.strerror or error}",
            hint="check `configUri` (the file must exist and be readable)",
        ) from None
    except UnicodeDecodeError:
        raise InvalidConfig(
            f"the config file {path} is not valid UTF-8",
            hint="save it as UTF-8",
        ) from None


def _config_name(uri: str) -> str:
    with contextlib.suppress(InvalidConfig):
        return str(_uri_path(uri))
    return uri


def check_config(text: str, uri: str) -> Any:
    """The validated MirrordConfig of `text`, read exactly as the editor reads
    it (same parsers, same nesting and alias limits): a broken config fails
    with `invalid-config` naming the file and its first problem's line."""
    from mirrord_ide.document.analysis import analyze
    from mirrord_ide.document.formats import config_format

    name = _config_name(uri)
    fmt = config_format(name, allow_no_extension=True)
    if fmt is None:
        raise InvalidConfig(
            f"the config file {name} has an unsupported extension",
            hint="use .json, .toml, .yaml or .yml",
        )
    analysis = analyze(text, fmt)
    errors = analysis.errors
    if errors or analysis.config is None:
        if not errors:
            raise InvalidConfig(
                f"the config file {name} could not be read",
                hint="fix the errors the editor shows in that file",
            )
        first = errors[0]
        where = f" (`{first.path}`)" if first.path else ""
        count = f"{len(errors)} errors; the first: " if len(errors) > 1 else ""
        raise InvalidConfig(
            f"the config file {name} is not valid: {count}line {first.range.start.line + 1}"
            f"{where}: {first.message}",
            hint="fix the errors the editor shows in that file",
        )
    return analysis.config


async def load_config(ls: Any, uri: str | None) -> Any:
    """The validated MirrordConfig from `configUri` (open document text first), or None."""
    if not uri:
        return None
    text = _document_text(ls, uri)
    if len(text) > THREAD_THRESHOLD_CHARS:
        # As the editor does: a large document is analysed off the event loop.
        return await asyncio.to_thread(check_config, text, uri)
    return check_config(text, uri)


# -- progress -----------------------------------------------------------------------


class ProgressReporter:
    """Work-done progress on the client's token (or one we create). When the
    client cancels the token (`window/workDoneProgress/cancel`), `on_cancel`
    runs on the event loop."""

    def __init__(self, ls: Any, token: Any) -> None:
        self.ls = ls
        self.token = token
        self.begun = False
        self.on_cancel: Callable[[], None] | None = None

    @classmethod
    async def open(cls, ls: Any, token: Any) -> ProgressReporter | None:
        if token is None:
            window = getattr(ls.client_capabilities, "window", None)
            if window is None or not window.work_done_progress:
                return None
            token = f"mirrord-session-{uuid.uuid4()}"
            try:
                await asyncio.wait_for(ls.work_done_progress.create_async(token), 5.0)
            except Exception as error:  # noqa: BLE001 - progress is optional
                log.info("client declined a progress token: %s", error)
                return None
        return cls(ls, token)

    def __call__(self, title: str, message: str | None, percentage: int | None) -> None:
        progress = self.ls.work_done_progress
        text = f"{title}: {message}" if message else title
        if self.begun:
            progress.report(
                self.token, types.WorkDoneProgressReport(message=text, percentage=percentage)
            )
            return
        self.begun = True
        begin = types.WorkDoneProgressBegin(
            title="mirrord", message=text, percentage=percentage or 0, cancellable=True
        )
        progress.begin(self.token, begin)
        cancelled = progress.tokens.get(self.token)
        if cancelled is not None:
            loop = asyncio.get_running_loop()
            cancelled.add_done_callback(lambda _: loop.call_soon_threadsafe(self._cancel))

    def _cancel(self) -> None:
        if self.on_cancel is not None:
            self.on_cancel()

    def end(self, message: str) -> None:
        if not self.begun:
            return
        self.begun = False
        self.on_cancel = None
        progress = self.ls.work_done_progress
        progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        progress.tokens.pop(self.token, None)


# -- handlers -----------------------------------------------------------------------


def _str_or_none(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise InvalidConfig(f"`{key}` must be a string")


def start_request(params: dict[str, Any], config: Any) -> Any:
    from mirrord_ide.agent.sessions import UNSET, StartRequest

    env = params.get("env") or {}
    if not isinstance(env, dict):
        raise InvalidConfig("`env` must be an object of strings")
    target = params["target"] if "target" in params else UNSET
    if target is not None and target is not UNSET and not isinstance(target, str):
        raise InvalidConfig("`target` must be a target path string or null")
    return StartRequest(
        config=config,
        target=target,
        namespace=_str_or_none(params, "namespace"),
        agent_namespace=_str_or_none(params, "agentNamespace"),
        env={str(k): str(v) for k, v in env.items() if v is not None},
        debug_type=_str_or_none(params, "debugType"),
    )


async def start_session(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    manager = session_manager(ls)
    config = await load_config(ls, _str_or_none(params, "configUri"))
    request = start_request(params, config)
    reporter = await ProgressReporter.open(ls, params.get("workDoneToken"))
    launch = asyncio.ensure_future(manager.start(request, reporter))
    progress_cancelled = False

    def cancel_from_progress() -> None:
        nonlocal progress_cancelled
        progress_cancelled = True
        launch.cancel()

    if reporter is not None:
        reporter.on_cancel = cancel_from_progress
    try:
        result: dict[str, Any] = await asyncio.shield(launch)
    except asyncio.CancelledError:
        if not _current_task_cancelling():
            # Only the launch was cancelled: the progress token's cancel button.
            if reporter is not None:
                reporter.end("cancelled")
            raise Cancelled("the session start was cancelled") from None
        # `$/cancelRequest`: stop the launch (it deletes what it created) first.
        launch.cancel()
        await _undo_late_success(manager, launch)
        if reporter is not None:
            reporter.end("cancelled")
        raise
    except MirrordError as error:
        if reporter is not None:
            reporter.end(f"failed: {error.message}")
        raise
    if progress_cancelled:
        # The cancel raced with the last step: undo the session it produced.
        await manager.stop(result["sessionId"])
        if reporter is not None:
            reporter.end("cancelled")
        raise Cancelled("the session start was cancelled")
    if reporter is not None:
        reporter.end("agent ready")
    return result


async def _undo_late_success(manager: Any, launch: asyncio.Future[Any]) -> None:
    """Wait for a cancelled launch; if it finished anyway, stop its session."""
    with contextlib.suppress(BaseException):
        await asyncio.shield(launch)
    if not launch.done():
        # Cancelled again while waiting: undo whenever the launch ends.
        def later(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                asyncio.ensure_future(manager.stop(done.result()["sessionId"]))

        launch.add_done_callback(later)
        return
    if not launch.cancelled() and launch.exception() is None:
        await manager.stop(launch.result()["sessionId"])


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task is not None and task.cancelling())


async def stop_session(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    session_id = params.get("sessionId")
    if not isinstance(session_id, str) or not session_id:
        raise InvalidConfig("`sessionId` is required")
    manager = ls.services.get(SESSIONS)
    stopped = bool(manager is not None and await manager.stop(session_id))
    return {"stopped": stopped}


async def list_sessions(ls: Any, params: dict[str, Any]) -> dict[str, Any]:
    manager = ls.services.get(SESSIONS)
    return {"sessions": manager.describe_all() if manager is not None else []}


async def _stop_everything(ls: Any) -> None:
    reaper = ls.services.pop("sessions_reaper", None)
    if reaper is not None:
        reaper.cancel()
    manager = ls.services.get(SESSIONS)
    if manager is not None:
        try:
            await asyncio.wait_for(manager.stop_all(), 20.0)
        except Exception as error:  # noqa: BLE001 - shutting down regardless
            log.warning("stopping sessions at shutdown failed: %s", error)


def _chain(
    server: Any,
    method: str,
    handler: Callable[[Any, Any], Awaitable[None]],
    *,
    first: bool = False,
) -> None:
    """Add `handler` to an LSP message another module may also handle: after
    the earlier handler, or before it with `first`."""
    features = server.protocol.fm.features
    previous = features.get(method)
    if previous is None:
        server.feature(method)(handler)
        return

    # Stored handlers are already bound to the server by pygls.
    async def chained(*args: Any) -> Any:
        if first:
            await handler(server, *args)
        result = previous(*args)
        if inspect.isawaitable(result):
            result = await result
        if not first:
            await handler(server, *args)
        return result

    features[method] = chained


async def _reap_later(ls: Any) -> None:
    """Look for agents left by servers that exited, once start-up is over: the
    first picker open or diagnostics must not share the CPU and the cluster
    with this check, nor wait while the agent modules load."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(REAP_DELAY)
        await asyncio.to_thread(importlib.import_module, "mirrord_ide.agent.sessions")
        from mirrord_ide.agent.sessions import reap_quietly

        await reap_quietly(session_manager(ls))


def register(server: Any) -> None:
    server.feature("mirrord/startSession")(custom_request(start_session))
    server.feature("mirrord/stopSession")(custom_request(stop_session))
    server.feature("mirrord/listSessions")(custom_request(list_sessions))

    async def on_shutdown(ls: Any, *args: Any) -> None:
        await _stop_everything(ls)

    async def on_initialized(ls: Any, *args: Any) -> None:
        # Remove agents whose server is gone, in the background: start-up
        # must not wait on the cluster.
        ls.services["sessions_reaper"] = asyncio.ensure_future(_reap_later(ls))

    # Before the cluster connection is dropped by the target requests' hook.
    _chain(server, types.SHUTDOWN, on_shutdown, first=True)
    _chain(server, types.EXIT, on_shutdown, first=True)
    _chain(server, types.INITIALIZED, on_initialized)
