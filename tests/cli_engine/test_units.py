"""The CLI engine's pure parts: error reports and kinds, capabilities, version lines,
where CLIs are looked for, the version cache against the fake CLI, and how the CLI's
messages for the user are sorted into information and warnings."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from mirrord_ide.cli_engine.discover import (
    CliUnusable,
    VersionCache,
    candidates,
    parse_version,
)
from mirrord_ide.cli_engine.engine import capabilities, config_path, ide_name
from mirrord_ide.cli_engine.ext import (
    ExtRun,
    classify,
    exit_error,
    ide_message_text,
    parse_error_report,
)

from .support import FAKE_MIRRORD


def test_the_fake_is_an_executable_python_script() -> None:
    assert os.access(FAKE_MIRRORD, os.X_OK)
    assert FAKE_MIRRORD.read_text().startswith("#!/usr/bin/env python3\n")


def test_miette_json_report() -> None:
    report = {
        "message": "Failed to create mirrord-agent",
        "causes": ["pods is forbidden"],
        "help": "Check your RBAC",
        "severity": "error",
    }
    stderr = "some log line\nError: " + json.dumps(report) + "\n"
    assert parse_error_report(stderr) == (
        "Failed to create mirrord-agent: pods is forbidden",
        "Check your RBAC",
    )
    error = exit_error(1, stderr)
    assert (error.kind, error.message, error.hint) == (
        "forbidden",
        "Failed to create mirrord-agent: pods is forbidden",
        "Check your RBAC",
    )


def test_plain_error_and_exit_codes() -> None:
    assert parse_error_report("Error: something broke\n") == ("something broke", None)
    assert parse_error_report("no error here") is None
    assert exit_error(-9, "").message == "mirrord was killed by signal SIGKILL"
    assert exit_error(3, "last words\n").message == "mirrord exited with code 3: last words"
    assert exit_error(0, "").message == "mirrord exited before the session started"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mirrord operator was not found in the cluster.", "conflict"),
        ("Failed to find resource deployment/x: not found", "not-found"),
        ("operator operation timed out: copy", "timeout"),
        ("Failed to execute authentication command specified in kubeconfig: x", "unauthorized"),
        ("Failed to verify mirrord config: bad", "invalid-config"),
        ("Failed to create Kubernetes API client: dns error", "unreachable"),
        ("something nobody expected", "conflict"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert classify(text)[0] == kind


def test_capabilities_follow_the_config_and_env() -> None:
    default = capabilities({}, {}, targetless=False)
    assert default == {"env": "process", "incoming": "mirror", "outgoing": True, "files": True}
    config = {
        "feature": {"network": {"incoming": {"mode": "off"}, "outgoing": False}, "fs": "local"}
    }
    assert capabilities(config, {}, targetless=False) == {
        "env": "process",
        "incoming": "off",
        "outgoing": False,
        "files": False,
    }
    stolen = capabilities({}, {"MIRRORD_AGENT_TCP_STEAL_TRAFFIC": "true"}, targetless=False)
    assert stolen["incoming"] == "steal"
    assert capabilities({}, {}, targetless=True)["incoming"] == "off"
    udp_only = {"feature": {"network": {"outgoing": {"tcp": False}}}}
    assert capabilities(udp_only, {"MIRRORD_UDP_OUTGOING": "false"}, False)["outgoing"] is False
    assert capabilities({"feature": {"network": False}}, {}, False)["incoming"] == "off"


def test_small_conversions() -> None:
    assert parse_version("mirrord 3.250.0\n") == "3.250.0"
    assert parse_version("kubectl 1.32") is None
    assert config_path("file:///work/a%20b/mirrord.json") == "/work/a b/mirrord.json"
    assert config_path("untitled:Untitled-1") is None
    assert ide_name("Visual Studio Code") == "vscode"
    assert ide_name("PyCharm") == "intellij"
    assert ide_name("Neovim") == "Neovim"
    assert ide_name(None) == "mirrord-ide"


def test_candidates_in_order(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(FAKE_MIRRORD, bin_dir / "mirrord")
    vscode = home / ".config" / "Code" / "User" / "globalStorage" / "metalbear.mirrord"
    vscode.mkdir(parents=True)
    shutil.copy(FAKE_MIRRORD, vscode / "mirrord")
    jetbrains = home / ".local" / "share" / "JetBrains" / "PyCharm2025.2" / "mirrord" / "bin"
    arch = "arm64" if os.uname().machine in ("arm64", "aarch64") else "x86-64"
    (jetbrains / "linux" / arch).mkdir(parents=True)
    shutil.copy(FAKE_MIRRORD, jetbrains / "linux" / arch / "mirrord")
    env = {"HOME": str(home), "PATH": str(bin_dir)}
    found = [(c.source, c.path) for c in candidates(None, env)]
    assert found == [
        ("PATH", str(bin_dir / "mirrord")),
        ("vscode", str(vscode / "mirrord")),
        ("jetbrains", str(jetbrains / "linux" / arch / "mirrord")),
    ]
    # A configured path comes first; the others stay as fallbacks.
    configured = candidates("~/mine/mirrord", env)
    assert [c.source for c in configured] == ["cliPath", "PATH", "vscode", "jetbrains"]
    assert configured[0].path == os.path.expanduser("~/mine/mirrord")


async def test_version_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = tmp_path / "count.txt"
    monkeypatch.setenv("FAKE_MIRRORD_COUNT", str(counter))
    cache = VersionCache()
    cli = tmp_path / "mirrord"
    shutil.copy(FAKE_MIRRORD, cli)
    assert await cache.version(str(cli), 10) == "3.250.0"
    assert await cache.version(str(cli), 10) == "3.250.0"
    assert counter.read_text().split() == ["version"]
    # A changed file is asked again.
    monkeypatch.setenv("FAKE_MIRRORD_VERSION", "3.251.0")
    os.utime(cli, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert await cache.version(str(cli), 10) == "3.251.0"
    monkeypatch.setenv("FAKE_MIRRORD_VERSION_DELAY", "20")
    os.utime(cli, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    began = time.monotonic()
    with pytest.raises(CliUnusable) as info:
        await cache.version(str(cli), 0.5)
    assert info.value.timed_out and time.monotonic() - began < 3
    not_a_cli = tmp_path / "other"
    not_a_cli.write_text("#!/bin/sh\necho hello\n")
    not_a_cli.chmod(0o755)
    with pytest.raises(CliUnusable, match="is not a mirrord CLI"):
        await cache.version(str(not_a_cli), 5)


def test_ide_message_text_keeps_its_links() -> None:
    link = {"kind": "Link", "label": "Docs", "link": "https://example.com/?utm_medium=cli"}
    other = {"kind": "Link", "label": " ", "link": "https://example.com/b"}
    assert ide_message_text({"text": "Hi.", "actions": []}) == "Hi."
    assert ide_message_text({"text": "Hi.", "actions": [link]}) == (
        "Hi. (Docs: https://example.com/?utm_medium=cli)"
    )
    # A link without a label is given alone; broken and unknown actions are left out.
    broken = [other, {"kind": "Button", "label": "x"}, {"kind": "Link", "label": "y"}, 3]
    assert ide_message_text({"text": "Hi.", "actions": [link, *broken]}) == (
        "Hi. (Docs: https://example.com/?utm_medium=cli; https://example.com/b)"
    )
    assert ide_message_text({"text": "", "actions": [link]}) == (
        "Docs: https://example.com/?utm_medium=cli"
    )
    assert ide_message_text({"text": "Hi.", "actions": {"kind": "Link"}}) == "Hi."
    assert ide_message_text("plain words") == "plain words"
    for nothing in ({"text": " ", "actions": []}, {}, None, 7, "  "):
        assert ide_message_text(nothing) is None


async def test_info_and_warnings_are_sorted_in_order(tmp_path: Path) -> None:
    def ide(level: object, text: str) -> dict[str, object]:
        return {"type": "IdeMessage", "message": {"id": "x", "level": level, "text": text}}

    handover = json.dumps({"environment": {"A": "1"}, "env_to_unset": []})
    lines = [
        {"type": "Info", "message": "info one"},
        {"type": "Warning", "message": "warning one"},
        ide("Info", "info two"),
        ide("Warning", "warning two"),
        ide("Error", "warning three"),  # a level this server does not know
        {"type": "IdeMessage", "message": "warning four"},
        ide(None, "warning five"),
        {"type": "Info", "message": 5},
        {"type": "Warning", "message": " "},
        ide("Info", ""),
        {"type": "Info", "message": "info three"},
        {
            "type": "FinishedTask",
            "name": "mirrord preparing to launch",
            "success": True,
            "message": handover,
        },
    ]
    script = tmp_path / "cli.py"
    script.write_text(f"import json\nfor line in {lines!r}:\n    print(json.dumps(line))\n")
    run = ExtRun([sys.executable, str(script)], dict(os.environ), silence_timeout=10)
    try:
        result = await run.start(lambda *_: None)
    finally:
        await run.terminate()
    assert result.info == ["info one", "info two", "info three"]
    assert result.warnings == [
        "warning one",
        "warning two",
        "warning three",
        "warning four",
        "warning five",
    ]
    assert result.environment == {"A": "1"}
