"""`mirrord/startSession`, `mirrord/stopSession`, `mirrord/listSessions` and the
`mirrord/sessionEnded` notification.

Two session engines (the `mirrord.engine` setting): `mirrord-cli` runs the user's
mirrord CLI (`mirrord_ide.cli_engine`), `builtin` is the server's own agent launch
(`mirrord_ide.agent.sessions.SessionManager`); `auto` uses the CLI when one is found.
This module adapts both to LSP: params in, work-done progress out, both cancellation
channels honoured (`$/cancelRequest` cancels the handler;
`window/workDoneProgress/cancel` cancels the launch), a notification for every session
that ends, and every session ended on `shutdown`, `exit`, or when the client goes away
(stdin closed).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import importlib
import logging
import signal
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from mirrord_ide.errors import Cancelled, MirrordError
from mirrord_ide.lsp.edge import custom_request
from mirrord_ide.lsp.lifecycle import STOP_SESSIONS
from mirrord_ide.lsp.request_types import (
    ListSessionsParams,
    ListSessionsResult,
    StartSessionParams,
    StopSessionParams,
    StopSessionResult,
)

if TYPE_CHECKING:
    from mirrord_ide.agent.sessions import SessionManager, StartRequest
    from mirrord_ide.cli_engine.engine import CliEngine
    from mirrord_ide.lsp.server import MirrordLanguageServer
    from mirrord_ide.lsp.settings import MirrordSettings

log = logging.getLogger(__name__)

SESSION_ENDED = "mirrord/sessionEnded"
# What the builtin engine gives when its result does not say.
BUILTIN_CAPABILITIES: dict[str, Any] = {
    "env": "spec",
    "incoming": "off",
    "outgoing": False,
    "files": False,
}
NO_CLI_HINT = "install mirrord or set mirrord.cliPath"
START_TIMEOUT_SLACK = 30.0
THREAD_THRESHOLD_CHARS = 20_000
# Seconds after `initialized` before leftover agents are looked for.
REAP_DELAY = 2.0


async def _cluster_client(ls: Any) -> Any:
    """The shared cluster connection (the target requests' service)."""
    from mirrord_ide.lsp.target_requests import cluster_service

    return await cluster_service(ls).client()


def session_manager(ls: MirrordLanguageServer) -> SessionManager:
    """The server's SessionManager, created on first use."""
    manager = ls.state.sessions
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
                stop = session_manager(ls).stop_all_sync
                atexit.unregister(stop)
                atexit.register(stop)
            return kubes[id(client)]

        def on_notice(session_id: str, message: str) -> None:
            ls.protocol.notify(
                types.WINDOW_SHOW_MESSAGE,
                types.ShowMessageParams(
                    type=types.MessageType.Warning, message=f"mirrord: {message}"
                ),
            )

        manager = SessionManager(kube, on_ended=_notifier(ls), on_notice=on_notice)
        ls.state.sessions = manager
        _exit_cleanly_on_sigterm()
    return manager


def _notifier(ls: Any) -> Callable[[str, str, str], None]:
    """`mirrord/sessionEnded` for a session that ended, whatever ended it."""

    def notify(session_id: str, reason: str, message: str) -> None:
        try:
            ls.protocol.notify(
                SESSION_ENDED, {"sessionId": session_id, "reason": reason, "message": message}
            )
        except Exception as error:  # noqa: BLE001 - the client may be gone already
            log.info("could not send %s: %s", SESSION_ENDED, error)

    return notify


def cli_engine(ls: MirrordLanguageServer) -> CliEngine:
    """The server's CliEngine, created on first use."""
    engine = ls.state.cli_sessions
    if engine is None:
        from mirrord_ide.cli_engine.engine import CliEngine

        engine = CliEngine(on_ended=_notifier(ls))
        ls.state.cli_sessions = engine
        # Sessions end with this process, even when the client vanished without `shutdown`.
        atexit.register(engine.stop_all_sync)
        _exit_cleanly_on_sigterm()
    return engine


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


def check_config(text: str, uri: str) -> Any:
    """The validated MirrordConfig of `text`, read exactly as the editor reads
    it (same parsers, same nesting and alias limits): a broken config fails
    with `invalid-config` naming the file and its first problem's line."""
    from mirrord_ide.cluster.config_input import validated_config

    return validated_config(text, uri)


async def load_config(ls: Any, uri: str | None) -> Any:
    """The validated MirrordConfig from `configUri` (open document text first), or None."""
    if not uri:
        return None
    from mirrord_ide.cluster.config_input import read_config_text

    text = read_config_text(uri, ls)
    if len(text) > THREAD_THRESHOLD_CHARS:
        # As the editor does: a large document is analysed off the event loop.
        return await asyncio.to_thread(check_config, text, uri)
    return check_config(text, uri)


# -- progress -----------------------------------------------------------------------


class ProgressReporter:
    """Work-done progress on the client's token (or one we create). When the
    client cancels the token (`window/workDoneProgress/cancel`), the function
    given to `on_cancel` runs on the event loop, whether the cancel came before
    the first report, between two reports, or before `on_cancel` was called."""

    def __init__(self, ls: Any, token: Any) -> None:
        self.ls = ls
        self.token = token
        self.begun = False
        self.cancel_requested = False
        self._on_cancel: Callable[[], None] | None = None
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        # pygls cancels the token's future on `window/workDoneProgress/cancel`, and
        # ignores a cancel for a token it does not know: the token is known from now
        # on, not only from the first report (`begin` reuses this future).
        progress = ls.work_done_progress
        cancelled = progress.tokens.setdefault(token, concurrent.futures.Future())
        cancelled.add_done_callback(self._cancelled_from_any_thread)

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

    def on_cancel(self, fn: Callable[[], None]) -> None:
        """Run `fn` when the client cancels the token (now, if it already has)."""
        self._on_cancel = fn
        if self.cancel_requested:
            fn()

    def _cancelled_from_any_thread(self, future: concurrent.futures.Future[Any]) -> None:
        if not future.cancelled():
            return
        if threading.get_ident() == self._thread:
            # pygls handles the notification on the event loop: cancel right away,
            # so a launch that finishes in the same loop turn still sees it.
            self._cancel()
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to cancel
            self._loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if self.cancel_requested:
            return
        self.cancel_requested = True
        if self._on_cancel is not None:
            self._on_cancel()

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

    def end(self, message: str) -> None:
        """End the progress (when it began) and forget the token."""
        self._on_cancel = None
        progress = self.ls.work_done_progress
        if progress.tokens.get(self.token) is not None:
            progress.tokens.pop(self.token, None)
        if not self.begun:
            return
        self.begun = False
        progress.end(self.token, types.WorkDoneProgressEnd(message=message))


# -- handlers -----------------------------------------------------------------------


def start_request(
    params: StartSessionParams, config: Any, workspace: str | None = None
) -> StartRequest:
    from mirrord_ide.agent.sessions import UNSET, StartRequest
    from mirrord_ide.cluster.config_input import uri_to_path

    config_path: str | None = None
    if params.config_uri:
        with contextlib.suppress(MirrordError):  # a config that is not a file has no folder
            config_path = str(uri_to_path(params.config_uri))
    return StartRequest(
        config=config,
        target=params.target if params.target_given else UNSET,
        namespace=params.namespace,
        agent_namespace=params.agent_namespace,
        env=dict(params.env),
        debug_type=params.debug_type,
        workspace=workspace,
        config_path=config_path,
    )


async def _choose_cli(
    ls: MirrordLanguageServer, settings: MirrordSettings
) -> tuple[Any, list[str]]:
    """The CLI to run (None: use the builtin engine) and what to tell the user about
    CLIs that did not work. `mirrord-cli` without a working CLI is an error."""
    if settings.engine == "builtin":
        return None, []
    found = await cli_engine(ls).discover(settings.cli_path)
    problems = [str(problem) for problem in found.problems]
    if found.cli is not None:
        return found.cli, problems
    if settings.engine == "mirrord-cli":
        timed_out = any(problem.timed_out for problem in found.problems)
        detail = "; ".join(problems) or (
            "no `mirrord` at mirrord.cliPath, on PATH or in the IDE extensions' download folders"
        )
        raise MirrordError(
            f"no usable mirrord CLI: {detail}",
            hint=NO_CLI_HINT,
            kind="timeout" if timed_out else "not-found",
        )
    return None, problems


def _workspace_root(ls: Any) -> str | None:
    with contextlib.suppress(Exception):
        root = ls.workspace.root_path
        return root if isinstance(root, str) and root else None
    return None


def _client_name(ls: Any) -> str | None:
    name = getattr(ls, "client_name", None)
    return name if isinstance(name, str) and name else None


async def _launch(
    ls: MirrordLanguageServer,
    params: StartSessionParams,
    request: StartRequest,
    reporter: ProgressReporter | None,
) -> dict[str, Any]:
    """Start the session on the engine the settings choose."""
    settings = ls.settings
    cli, problems = await _choose_cli(ls, settings)
    if cli is not None:
        from mirrord_ide.cli_engine.engine import CliContext

        context = CliContext(
            cli=cli,
            config_uri=params.config_uri,
            client_name=_client_name(ls),
            kubeconfig=settings.kubeconfig,
            context=settings.context,
            cwd=request.workspace,
        )
        result: dict[str, Any] = await cli_engine(ls).start(request, context, reporter)
        result["warnings"] = [*problems, *result.get("warnings", [])]
        return result
    result = await session_manager(ls).start(request, reporter)
    result.setdefault("engine", "builtin")
    result.setdefault("capabilities", dict(BUILTIN_CAPABILITIES))
    if problems:
        result["warnings"] = [*problems, *result.get("warnings", [])]
    return result


async def _stop(ls: MirrordLanguageServer, session_id: str) -> bool:
    engine = ls.state.cli_sessions
    if engine is not None and engine.owns(session_id):
        return bool(await engine.stop(session_id))
    manager = ls.state.sessions
    return bool(manager is not None and await manager.stop(session_id))


async def start_session(ls: MirrordLanguageServer, params: StartSessionParams) -> dict[str, Any]:
    reporter: ProgressReporter | None = None
    if params.work_done_token is not None:
        # The client's token is known before anything else runs: a cancel the
        # client sends early is not lost.
        reporter = await ProgressReporter.open(ls, params.work_done_token)
    try:
        config = await load_config(ls, params.config_uri)
    except BaseException:
        if reporter is not None:
            reporter.end("failed")
        raise
    request = start_request(params, config, _workspace_root(ls))
    if reporter is None:
        reporter = await ProgressReporter.open(ls, None)
    if reporter is not None and reporter.cancel_requested:
        reporter.end("cancelled")
        raise Cancelled("the session start was cancelled")
    launch = asyncio.ensure_future(_launch(ls, params, request, reporter))
    progress_cancelled = False

    def cancel_from_progress() -> None:
        nonlocal progress_cancelled
        progress_cancelled = True
        launch.cancel()

    if reporter is not None:
        reporter.on_cancel(cancel_from_progress)
    try:
        result: dict[str, Any] = await asyncio.shield(launch)
    except asyncio.CancelledError:
        if not _current_task_cancelling():
            # Only the launch was cancelled: the progress token's cancel button.
            if reporter is not None:
                reporter.end("cancelled")
            raise Cancelled("the session start was cancelled") from None
        # `$/cancelRequest`: stop the launch (it removes what it created) first.
        launch.cancel()
        await _undo_late_success(ls, launch)
        if reporter is not None:
            reporter.end("cancelled")
        raise
    except MirrordError as error:
        if progress_cancelled and not isinstance(error, Cancelled):
            # Cancelled, then failed while stopping: the answer is still "cancelled".
            log.info("a cancelled session start ended with an error: %s", error)
            if reporter is not None:
                reporter.end("cancelled")
            raise Cancelled("the session start was cancelled") from None
        if reporter is not None:
            reporter.end(f"failed: {error.message}")
        raise
    if progress_cancelled or (reporter is not None and reporter.cancel_requested):
        # The cancel raced with the last step: undo the session it produced.
        await _stop(ls, result["sessionId"])
        if reporter is not None:
            reporter.end("cancelled")
        raise Cancelled("the session start was cancelled")
    if reporter is not None:
        reporter.end("session ready")
    return result


async def _undo_late_success(ls: Any, launch: asyncio.Future[Any]) -> None:
    """Wait for a cancelled launch; if it finished anyway, stop its session."""
    with contextlib.suppress(BaseException):
        await asyncio.shield(launch)
    if not launch.done():
        # Cancelled again while waiting: undo whenever the launch ends.
        def later(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is None:
                asyncio.ensure_future(_stop(ls, done.result()["sessionId"]))

        launch.add_done_callback(later)
        return
    if not launch.cancelled() and launch.exception() is None:
        await _stop(ls, launch.result()["sessionId"])


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task is not None and task.cancelling())


async def stop_session(ls: MirrordLanguageServer, params: StopSessionParams) -> StopSessionResult:
    return {"stopped": await _stop(ls, params.session_id)}


async def list_sessions(
    ls: MirrordLanguageServer, params: ListSessionsParams
) -> ListSessionsResult:
    sessions: list[dict[str, Any]] = []
    manager = ls.state.sessions
    if manager is not None:
        for session in manager.describe_all():
            session.setdefault("engine", "builtin")
            sessions.append(session)
    engine = ls.state.cli_sessions
    if engine is not None:
        sessions.extend(engine.describe_all())
    return {"sessions": sessions}


async def _stop_everything(ls: MirrordLanguageServer) -> None:
    reaper, ls.state.sessions_reaper = ls.state.sessions_reaper, None
    if reaper is not None:
        reaper.cancel()
    engine = ls.state.cli_sessions
    if engine is not None:
        try:
            await asyncio.wait_for(engine.stop_all(), 5.0)
        except Exception as error:  # noqa: BLE001 - shutting down regardless
            log.warning("stopping mirrord CLI sessions at shutdown failed: %s", error)
    manager = ls.state.sessions
    if manager is not None:
        try:
            await asyncio.wait_for(manager.stop_all(), 20.0)
        except Exception as error:  # noqa: BLE001 - shutting down regardless
            log.warning("stopping sessions at shutdown failed: %s", error)


async def _reap_later(ls: MirrordLanguageServer) -> None:
    """Look for agents left by servers that exited, once start-up is over: the
    first picker open or diagnostics must not share the CPU and the cluster
    with this check, nor wait while the agent modules load."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(REAP_DELAY)
        await asyncio.to_thread(importlib.import_module, "mirrord_ide.agent.sessions")
        from mirrord_ide.agent.sessions import reap_quietly

        await reap_quietly(session_manager(ls))


def register(server: MirrordLanguageServer) -> None:
    server.feature("mirrord/startSession")(custom_request(StartSessionParams, start_session))
    server.feature("mirrord/stopSession")(custom_request(StopSessionParams, stop_session))
    server.feature("mirrord/listSessions")(custom_request(ListSessionsParams, list_sessions))

    def reap_in_background() -> None:
        # Remove agents whose server is gone, in the background: start-up
        # must not wait on the cluster.
        server.state.sessions_reaper = asyncio.ensure_future(_reap_later(server))

    server.lifecycle.on_started(reap_in_background)
    # Before the cluster connection is dropped: removing agents needs it.
    server.lifecycle.on_shutdown(lambda: _stop_everything(server), STOP_SESSIONS)
