"""One run of `mirrord ext`: start it, follow its JSON progress, take the handover.

The protocol, as mirrord's CLI speaks it to IDE extensions (metalbear-co/mirrord):
- with `MIRRORD_PROGRESS_MODE=json` each stdout line is a JSON object tagged by `type`
  (`mirrord/progress/src/implementations.rs`, `ProgressMessage`): `NewTask` `{name,
  parent}`, `FinishedTask` `{name, success, message}`, `Warning` `{message}`, `Info`
  `{message}`, `IdeMessage` `{message: {id, level, text, actions}}` (`level` is `Info` or
  `Warning`, each action `{kind: "Link", label, link}`);
- the root task is `mirrord preparing to launch` (`mirrord/cli/src/extension.rs`); its
  `FinishedTask` with `success: true` carries the serialized `MirrordExecution`
  (`mirrord/cli/src/execution.rs`): `{environment, patched_path, env_to_unset,
  uses_operator}`. That is the handover: the debuggee may start. The CLI then waits
  for its internal proxy's launcher and exits; the proxy lives on in the same process
  group;
- a failure ends with `Error: <miette JSON report>` on stderr (`mirrord/cli/src/
  logging.rs` installs miette's JSON handler for `ext`) and a non-zero exit code.

The CLI runs in its own process group (a new session; POSIX), never through a shell,
so a cancel, a stop or a silent CLI takes the whole group down. Env values are never
logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirrord_ide.errors import ErrorKind, MirrordError, Timeout

log = logging.getLogger(__name__)

ROOT_TASK = "mirrord preparing to launch"
# The handover line carries the whole remote environment and the encoded config.
LINE_LIMIT = 32 * 1024 * 1024
STDERR_KEEP = 64 * 1024
# After a failed root task, how long the CLI gets to print its error and exit.
EXIT_GRACE = 5.0
# Cancel or stop: SIGTERM, then SIGKILL for whatever is left of the group.
TERM_GRACE = 0.3
KILL_DEADLINE = 1.0
GROUP_POLL = 0.02

Progress = Callable[[str, str | None, int | None], None]


@dataclass(slots=True)
class Handover:
    """What the CLI hands the IDE for the debuggee."""

    environment: dict[str, str]
    env_to_unset: list[str]
    patched_path: str | None
    uses_operator: bool
    warnings: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)


# -- errors ---------------------------------------------------------------------------

# Known CLI messages → our kinds, first match wins (lower-cased substrings). Read from
# `mirrord/cli/src/error.rs` and the kube/operator errors it wraps.
_KIND_RULES: tuple[tuple[tuple[str, ...], ErrorKind, str | None], ...] = (
    (
        (
            "requires using mirrord operator",
            "requires the mirrord-operator",
            "requires the operator",
            "operator was not found",
            "operator usage was explicitly disabled",
        ),
        "conflict",
        "this needs the mirrord operator (mirrord for Teams); pick a pod, deployment or "
        "rollout target, or install the operator",
    ),
    (
        ("timed out", "timeout", "deadline has elapsed"),
        "timeout",
        "the cluster or the agent was too slow; try again or raise agent.startup_timeout",
    ),
    (
        ("forbidden", " 403", "(403)"),
        "forbidden",
        "your kube user lacks a permission mirrord needs",
    ),
    (
        ("unauthorized", " 401", "(401)", "authentication command", "invalid certificate"),
        "unauthorized",
        "log in to the cluster again (your kube credentials were refused)",
    ),
    (
        ("not found", "notfound", "no such", "does not exist", "could not find", "failed to find"),
        "not-found",
        "check the target and namespace exist (mirrord ls lists them)",
    ),
    (
        (
            "failed to verify mirrord config",
            "failed to parse",
            "invalid target",
            "conflicting configuration",
            "invalid extension",
            "unknown field",
        ),
        "invalid-config",
        "fix the mirrord config file",
    ),
    (
        (
            "failed to create kubernetes api client",
            "connection refused",
            "dns error",
            "unreachable",
            "failed to connect",
            "error trying to connect",
            "no route to host",
        ),
        "unreachable",
        "check the cluster is reachable with kubectl and the same kubeconfig",
    ),
)


def classify(text: str) -> tuple[ErrorKind, str | None]:
    """Our error kind for a CLI error text, and a hint when we have one."""
    lowered = text.lower()
    for needles, kind, hint in _KIND_RULES:
        if any(needle in lowered for needle in needles):
            return kind, hint
    return "conflict", None


def parse_error_report(stderr: str) -> tuple[str, str | None] | None:
    """The CLI's message and help from the `Error: ...` it printed last, or None.

    The JSON form is miette's report (`message`, `causes`, `help`); anything else
    after `Error:` is taken as the plain message."""
    index = stderr.rfind("Error:")
    if index < 0:
        return None
    rest = stderr[index + len("Error:") :].strip()
    if not rest:
        return None
    first_line = rest.splitlines()[0].strip()
    for candidate in (first_line, rest):
        try:
            report = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(report, dict) and isinstance(report.get("message"), str):
            message = report["message"].strip()
            causes = [
                str(c).strip()
                for c in report.get("causes") or []
                if isinstance(c, str) and c.strip() and c.strip() not in message
            ]
            if causes:
                message = f"{message}: {'; '.join(causes)}"
            help_text = report.get("help")
            return message, help_text.strip() if isinstance(help_text, str) else None
        if isinstance(report, str) and report.strip():
            return report.strip(), None
    return " ".join(line.strip() for line in rest.splitlines() if line.strip()), None


def cli_error(message: str, help_text: str | None = None) -> MirrordError:
    kind, hint = classify(message)
    return MirrordError(message, hint=help_text or hint, kind=kind)


def exit_error(returncode: int | None, stderr: str, *, handed_over: bool = False) -> MirrordError:
    """The error for a CLI that ended without (or after) the handover."""
    report = parse_error_report(stderr)
    if report is not None:
        return cli_error(*report)
    panic = next((line for line in stderr.splitlines() if "panicked at" in line), None)
    if panic is not None or returncode == 101:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        detail = lines[1] if panic is not None and len(lines) > 1 else (lines[-1] if lines else "")
        text = f"mirrord crashed: {detail}" if detail else "mirrord crashed"
        return MirrordError(text, hint="update mirrord; if it persists, report it", kind="conflict")
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return MirrordError(f"mirrord was killed by signal {name}", kind="conflict")
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    if returncode:
        text = f"mirrord exited with code {returncode}" + (f": {last}" if last else "")
        return cli_error(text)
    if handed_over:
        return MirrordError("mirrord exited", kind="conflict")
    return MirrordError(
        "mirrord exited before the session started" + (f": {last}" if last else ""),
        hint="run `mirrord ext` in a terminal with the same config to see why",
        kind="conflict",
    )


# -- process groups -------------------------------------------------------------------

_subreaper_set = False


def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (Linux), so a
    killed CLI's children are reaped here at once instead of lingering as zombies
    until init gets to them; `reap_group` collects them."""
    global _subreaper_set
    if _subreaper_set or not sys.platform.startswith("linux"):
        return
    _subreaper_set = True
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_group(pgid: int) -> None:
    """Collect exited members of `pgid` that became our children."""
    if not hasattr(os, "waitid"):
        return
    while True:
        try:
            result = os.waitid(os.P_PGID, pgid, os.WEXITED | os.WNOHANG)
        except (ChildProcessError, OSError):
            return
        if result is None:
            return


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# -- the run --------------------------------------------------------------------------


class ExtRun:
    """`<cli> ext ...` with `env`: `start` returns at the handover; `watch` follows
    the CLI and its group afterwards; `terminate` ends the whole group."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        silence_timeout: float,
        cwd: str | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.silence_timeout = silence_timeout
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        self.warnings: list[str] = []
        self.info: list[str] = []
        self._stderr = bytearray()
        self._stderr_task: asyncio.Task[None] | None = None
        self._last_output = 0.0
        self._terminated = False

    @property
    def pgid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def stderr_text(self) -> str:
        return self._stderr.decode("utf-8", "replace")

    async def start(self, progress: Progress) -> Handover:
        adopt_orphans()
        loop = asyncio.get_running_loop()
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                limit=LINE_LIMIT,
            )
        except OSError as error:
            raise MirrordError(
                f"could not run {self.argv[0]}: {error.strerror or error}",
                hint="install mirrord or set mirrord.cliPath",
                kind="not-found",
            ) from None
        self._last_output = loop.time()
        self._stderr_task = asyncio.ensure_future(self._read_stderr())
        try:
            return await self._follow(progress)
        except BaseException:
            await self.terminate()
            raise

    async def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        stream = self.process.stderr
        while True:
            chunk = await stream.read(8192)
            if not chunk:
                return
            self._last_output = asyncio.get_running_loop().time()
            self._stderr.extend(chunk)
            if len(self._stderr) > STDERR_KEEP:
                del self._stderr[: len(self._stderr) - STDERR_KEEP]

    async def _readline(self) -> bytes:
        """The next stdout line; Timeout when the CLI printed nothing (stdout or
        stderr) for `silence_timeout`."""
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        loop = asyncio.get_running_loop()
        pending = asyncio.ensure_future(stdout.readline())
        try:
            while True:
                remaining = self._last_output + self.silence_timeout - loop.time()
                if remaining <= 0:
                    raise Timeout(
                        f"mirrord printed nothing for {self.silence_timeout:g} s and was stopped",
                        hint="the agent did not come up in time (agent.startup_timeout); "
                        "check the cluster with kubectl",
                    )
                done, _ = await asyncio.wait({pending}, timeout=remaining)
                if done:
                    line = pending.result()
                    self._last_output = loop.time()
                    return line
        finally:
            if not pending.done():
                pending.cancel()

    async def _follow(self, progress: Progress) -> Handover:
        while True:
            try:
                raw = await self._readline()
            except ValueError:  # a line over the limit
                raise MirrordError(
                    "mirrord printed a line too long to read", kind="conflict"
                ) from None
            if not raw:
                raise await self._ended_error()
            message = _decode(raw)
            if message is None:
                continue
            kind = message.get("type")
            name = message.get("name")
            if kind == "FinishedTask" and name == ROOT_TASK:
                if message.get("success") is True:
                    return self._handover(message.get("message"))
                raise await self._ended_error()
            if kind == "NewTask" and isinstance(name, str):
                progress(name, None, None)
            elif kind == "FinishedTask" and isinstance(name, str):
                text = message.get("message")
                done = "done" if message.get("success") else "failed"
                progress(name, text if isinstance(text, str) and text else done, None)
            elif kind in ("Warning", "Info", "IdeMessage"):
                self._notice(kind, message.get("message"))

    def _notice(self, kind: str, body: Any) -> None:
        """Sort one of the CLI's messages for the user into `info` or `warnings`, as
        mirrord's own VS Code extension shows them (metalbear-co/mirrord-vscode,
        `src/api.ts`: the switch on `message["type"]` and `handleIdeMessage`): `Info` as
        information, `Warning` as a warning, an `IdeMessage` at its `level`. An
        IdeMessage's link buttons become "label: link" after its text; an IdeMessage
        without a known level is a warning."""
        level: object = kind
        if kind == "IdeMessage":
            text = ide_message_text(body)
            level = body.get("level") if isinstance(body, dict) else None
        else:
            text = body if isinstance(body, str) and body.strip() else None
        if text is None:
            return
        (self.info if level == "Info" else self.warnings).append(text)

    def _handover(self, payload: Any) -> Handover:
        try:
            info = json.loads(payload) if isinstance(payload, str) else None
        except ValueError:
            info = None
        if not isinstance(info, dict) or not isinstance(info.get("environment"), dict):
            raise MirrordError(
                "mirrord's final message could not be read (no `environment`)",
                hint="this mirrord CLI may be too old or too new for this extension",
                kind="conflict",
            )
        unset = info.get("env_to_unset") or []
        patched = info.get("patched_path")
        return Handover(
            environment={str(k): str(v) for k, v in info["environment"].items() if v is not None},
            env_to_unset=[str(name) for name in unset] if isinstance(unset, list) else [],
            patched_path=patched if isinstance(patched, str) else None,
            uses_operator=bool(info.get("uses_operator")),
            warnings=list(self.warnings),
            info=list(self.info),
        )

    async def _ended_error(self) -> MirrordError:
        """The CLI closed stdout or failed its root task: wait (briefly) for its exit
        and its error report."""
        assert self.process is not None
        await _wait_a_while(self.process.wait(), EXIT_GRACE)
        if self._stderr_task is not None:
            await _wait_a_while(self._stderr_task, 1.0)
        return exit_error(self.process.returncode, self.stderr_text)

    async def watch(self) -> tuple[str, str] | None:
        """After the handover: wait until the session's processes are gone. Returns
        the reason and message the session ended with, or None when `terminate` ended
        it. Keeps reading the CLI's output so it never blocks on a full pipe."""
        process = self.process
        assert process is not None
        if process.stdout is not None:
            with contextlib.suppress(Exception):
                while await process.stdout.read(65536):
                    pass
        returncode = await process.wait()
        if self._stderr_task is not None:
            await _wait_a_while(self._stderr_task, 1.0)
        if self._terminated:
            return None
        if returncode != 0:
            error = exit_error(returncode, self.stderr_text, handed_over=True)
            # The session is over: whatever the CLI left in its group goes too.
            await self._end_group(process)
            return "cli-exited", error.message
        # The internal proxy lives on in the group until the debuggee is done.
        pgid = process.pid
        while True:
            reap_group(pgid)
            if not group_alive(pgid):
                break
            await asyncio.sleep(1.0)
        if self._terminated:
            return None
        return "connection-lost", "mirrord's internal proxy exited: the session is over"

    async def terminate(self) -> None:
        """End the CLI's whole process group: SIGTERM, then SIGKILL; returns when
        the group is gone (about a second at most)."""
        self._terminated = True
        if self.process is not None:
            await self._end_group(self.process)
        if self._stderr_task is not None and not self._stderr_task.done():
            self._stderr_task.cancel()

    async def _end_group(self, process: asyncio.subprocess.Process) -> None:
        pgid = process.pid
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KILL_DEADLINE
        signal_group(pgid, signal.SIGTERM)
        await self._wait_group(process, loop.time() + TERM_GRACE)
        if group_alive(pgid) or process.returncode is None:
            signal_group(pgid, signal.SIGKILL)
            await self._wait_group(process, deadline)

    async def _wait_group(self, process: asyncio.subprocess.Process, until: float) -> None:
        loop = asyncio.get_running_loop()
        pgid = process.pid
        if process.returncode is None:
            await _wait_a_while(process.wait(), max(0.0, until - loop.time()))
        while process.returncode is not None and loop.time() < until:
            reap_group(pgid)
            if not group_alive(pgid):
                return
            await asyncio.sleep(GROUP_POLL)

    def kill_now(self) -> int | None:
        """SIGKILL the group without waiting (process exit); returns its id."""
        self._terminated = True
        if self.process is None:
            return None
        signal_group(self.process.pid, signal.SIGKILL)
        return self.process.pid


async def _wait_a_while(awaitable: Awaitable[Any], timeout: float) -> None:
    """Wait up to `timeout` seconds for `awaitable` to finish, leaving it running
    (a task) or cancelling it (a coroutine) when time is up; its outcome is not
    looked at. Unlike `wait_for` on Python 3.11, a cancellation of the caller
    that arrives as `awaitable` finishes is never swallowed: it always raises."""
    future = asyncio.ensure_future(awaitable)
    try:
        await asyncio.wait({future}, timeout=timeout)
    finally:
        if not future.done() and not isinstance(awaitable, asyncio.Future):
            future.cancel()
    if future.done() and not future.cancelled():
        future.exception()  # retrieved: a failure here is not worth a log line


def ide_message_text(body: Any) -> str | None:
    """The words of an `IdeMessage` (`mirrord/progress/src/implementations.rs`,
    `IdeMessage`, `IdeAction`): its `text`, then each `Link` action as "label: link" in
    parentheses; None when there is nothing to show. Actions of another kind are left
    out (they are buttons with no link to give)."""
    if isinstance(body, str):
        return body if body.strip() else None
    if not isinstance(body, dict):
        return None
    text = body.get("text")
    text = text.strip() if isinstance(text, str) else ""
    links: list[str] = []
    actions = body.get("actions")
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, dict) or action.get("kind") != "Link":
            continue
        link, label = action.get("link"), action.get("label")
        if not isinstance(link, str) or not link.strip():
            continue
        label = label.strip() if isinstance(label, str) else ""
        links.append(f"{label}: {link.strip()}" if label else link.strip())
    if not text:
        return "; ".join(links) or None
    return f"{text} ({'; '.join(links)})" if links else text


def _decode(raw: bytes) -> dict[str, Any] | None:
    text = raw.decode("utf-8", "replace").strip()
    if not text.startswith("{"):
        if text:
            log.debug("mirrord printed a line that is not a progress message (%d chars)", len(text))
        return None
    try:
        value = json.loads(text)
    except ValueError:
        log.debug("mirrord printed a line that is not JSON (%d chars)", len(text))
        return None
    return value if isinstance(value, dict) else None
