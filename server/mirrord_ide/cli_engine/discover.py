"""Find the user's mirrord CLI and read its version once.

Where a CLI is looked for, in order:
1. the `mirrord.cliPath` setting;
2. `mirrord` on the server's `PATH`;
3. the folders where mirrord's IDE extensions keep the CLI they download:
   - VS Code (metalbear-co/mirrord-vscode, `src/binaryManager.ts`,
     `getExtensionMirrordPath`): `mirrord` in the extension's global storage,
     `<user data dir>/User/globalStorage/metalbear.mirrord/`;
   - JetBrains IDEs (metalbear-co/mirrord-intellij, `MirrordPathManager.kt`,
     `getPath`): `<plugins path>/mirrord/bin/<os>/<arch>/mirrord` (`bin/macos/mirrord`
     for the universal macOS binary).

`mirrord --version` prints `mirrord <version>` (clap's version line; the VS Code
extension reads the second word, with a 10 s bound). Each path's answer is read once
and kept until the file changes; a CLI that does not answer within the bound is
reported, and not asked again for a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import platform
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

VERSION_TIMEOUT = 10.0
# Overrides the bound above (seconds); read when a version is asked for.
VERSION_TIMEOUT_ENV = "MIRRORD_IDE_CLI_VERSION_TIMEOUT"
FAILURE_RETRY_AFTER = 60.0
VSCODE_EXTENSION_ID = "metalbear.mirrord"


@dataclass(frozen=True, slots=True)
class CliInfo:
    path: str
    version: str

    def describe(self) -> dict[str, str]:
        return {"path": self.path, "version": self.version}


@dataclass(frozen=True, slots=True)
class Candidate:
    path: str
    source: str  # "cliPath", "PATH", "vscode", "jetbrains"


class CliUnusable(Exception):
    """A candidate that is not a working mirrord CLI, with the reason in plain words;
    `timed_out` when it did not answer in time."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def _vscode_storage_dirs(home: str, environ: Mapping[str, str]) -> list[str]:
    """`<user data dir>/User/globalStorage/<extension id>` of VS Code and its
    common builds, on this platform."""
    names = ["Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf"]
    bases: list[str] = []
    if sys.platform == "darwin":
        support = os.path.join(home, "Library", "Application Support")
        bases = [os.path.join(support, name) for name in names]
    elif sys.platform == "win32":
        appdata = environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
        bases = [os.path.join(appdata, name) for name in names]
    else:
        config = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        bases = [os.path.join(config, name) for name in names]
        data = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        bases.append(os.path.join(data, "code-server"))
        bases.append(os.path.join(home, ".vscode-server", "data"))
    return [os.path.join(base, "User", "globalStorage", VSCODE_EXTENSION_ID) for base in bases]


def _jetbrains_binaries(home: str, environ: Mapping[str, str]) -> list[str]:
    """The plugin's downloaded CLI under every JetBrains IDE's plugins path
    (`PathManager.getPluginsPath()`), newest IDE first."""
    machine = platform.machine().lower()
    arch = "arm64" if machine in ("arm64", "aarch64") else "x86-64"
    if sys.platform == "darwin":
        pattern = os.path.join(
            home, "Library", "Application Support", "JetBrains", "*", "plugins", "mirrord",
            "bin", "macos", "mirrord",
        )  # fmt: skip
    elif sys.platform == "win32":
        appdata = environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
        pattern = os.path.join(
            appdata, "JetBrains", "*", "plugins", "mirrord", "bin", "windows", arch, "mirrord.exe"
        )
    else:
        data = environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
        pattern = os.path.join(data, "JetBrains", "*", "mirrord", "bin", "linux", arch, "mirrord")
    return sorted(glob.glob(pattern), reverse=True)


def candidates(cli_path: str | None, environ: Mapping[str, str] | None = None) -> list[Candidate]:
    """Where to look, in order: `cliPath`, `PATH`, the extensions' folders."""
    env = os.environ if environ is None else environ
    found: list[Candidate] = []
    if cli_path:
        found.append(Candidate(os.path.expanduser(cli_path), "cliPath"))
    on_path = shutil.which("mirrord", path=env.get("PATH", os.defpath))
    if on_path:
        found.append(Candidate(on_path, "PATH"))
    home = env.get("HOME") or os.path.expanduser("~")
    binary = "mirrord.exe" if sys.platform == "win32" else "mirrord"
    for folder in _vscode_storage_dirs(home, env):
        path = os.path.join(folder, binary)
        if os.path.isfile(path):
            found.append(Candidate(path, "vscode"))
    for path in _jetbrains_binaries(home, env):
        found.append(Candidate(path, "jetbrains"))
    return found


def parse_version(output: str) -> str | None:
    """`mirrord 3.250.0` → `3.250.0`; None when the output is not mirrord's."""
    words = output.strip().split()
    if len(words) >= 2 and words[0] == "mirrord" and words[1][:1].isdigit():
        return words[1]
    return None


def version_timeout(environ: Mapping[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    with contextlib.suppress(ValueError):
        value = float(env.get(VERSION_TIMEOUT_ENV, ""))
        if value > 0:
            return value
    return VERSION_TIMEOUT


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(process.wait(), 1.0)


async def read_version(path: str, timeout: float) -> str:
    """Run `<path> --version` (no shell, its own process group) within `timeout`."""
    if not os.path.isfile(path):
        raise CliUnusable(f"{path} does not exist")
    if not os.access(path, os.X_OK):
        raise CliUnusable(f"{path} is not executable")
    try:
        process = await asyncio.create_subprocess_exec(
            path,
            "--version",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        raise CliUnusable(f"{path} could not be run: {error.strerror or error}") from None
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        await _kill_group(process)
        raise CliUnusable(
            f"{path} did not answer `--version` within {timeout:g} s", timed_out=True
        ) from None
    except asyncio.CancelledError:
        await _kill_group(process)
        raise
    text = stdout.decode("utf-8", "replace")
    version = parse_version(text) if process.returncode == 0 else None
    if version is None:
        raise CliUnusable(f"{path} is not a mirrord CLI (`--version` did not print its version)")
    return version


class VersionCache:
    """`--version` answers per path, kept while the file is unchanged. Concurrent
    askers share one run."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, int], str | CliUnusable, float]] = {}
        self._running: dict[str, asyncio.Future[str]] = {}
        self.runs = 0

    @staticmethod
    def _stamp(path: str) -> tuple[int, int]:
        try:
            stat = os.stat(path)
        except OSError:
            return (-1, -1)
        return (stat.st_mtime_ns, stat.st_size)

    async def version(self, path: str, timeout: float) -> str:
        stamp = self._stamp(path)
        known = self._known.get(path)
        if known is not None and known[0] == stamp:
            answer, when = known[1], known[2]
            if isinstance(answer, str):
                return answer
            if time.monotonic() - when < FAILURE_RETRY_AFTER:
                raise answer
        running = self._running.get(path)
        if running is None:
            running = asyncio.ensure_future(self._read(path, stamp, timeout))
            self._running[path] = running
        return await asyncio.shield(running)

    async def _read(self, path: str, stamp: tuple[int, int], timeout: float) -> str:
        self.runs += 1
        try:
            version = await read_version(path, timeout)
        except CliUnusable as error:
            self._known[path] = (stamp, error, time.monotonic())
            raise
        finally:
            self._running.pop(path, None)
        self._known[path] = (stamp, version, time.monotonic())
        return version


@dataclass(frozen=True, slots=True)
class Discovery:
    cli: CliInfo | None
    problems: list[CliUnusable]  # candidates that did not work, and why


async def discover(
    cache: VersionCache, cli_path: str | None, environ: Mapping[str, str] | None = None
) -> Discovery:
    """The first working CLI among the candidates, and what was wrong with the others."""
    timeout = version_timeout(environ)
    problems: list[CliUnusable] = []
    for candidate in candidates(cli_path, environ):
        try:
            version = await cache.version(candidate.path, timeout)
        except CliUnusable as error:
            problems.append(error)
            continue
        return Discovery(CliInfo(candidate.path, version), problems)
    return Discovery(None, problems)
