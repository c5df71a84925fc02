"""`feature.env.env_file`: where the file is looked up, how it is parsed, and
where its variables go among the remote env, `mapping`, `override` and `unset`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from mirrord_ide.agent.env import (
    RemoteEnv,
    apply_process_env,
    apply_settings,
    env_file_path,
    read_env_file,
)
from mirrord_ide.agent.settings import EnvSettings, env_settings
from mirrord_ide.errors import InvalidConfig
from mirrord_ide.lsp.request_types import StartSessionParams
from mirrord_ide.lsp.session_requests import start_request

ORDERED = EnvSettings(
    file_env={"SHARED": "file", "READ_TIMEOUT": "30", "FILE_ONLY": "f", "GONE": "g"},
    mapping={"_TIMEOUT$": "5"},
    override={"FILE_ONLY": "override"},
    unset=("gone",),
)
REMOTE = {"SHARED": "remote", "REMOTE_ONLY": "r", "GONE": "remote"}


@pytest.mark.parametrize("apply", [apply_process_env, apply_settings])
def test_file_goes_over_the_remote_env_then_mapping_override_unset(
    apply: Callable[[Mapping[str, str], EnvSettings], RemoteEnv],
) -> None:
    out = apply(REMOTE, ORDERED)
    assert out.env == {
        "SHARED": "file",  # the file beats the remote env
        "REMOTE_ONLY": "r",
        "READ_TIMEOUT": "5",  # mapping applies to the file's variables
        "FILE_ONLY": "override",  # override beats the file
    }
    assert out.unset == ["gone"]


def test_the_file_applies_when_the_remote_env_is_disabled() -> None:
    settings = env_settings(
        {"feature": {"env": False}}, {"MIRRORD_OVERRIDE_ENV_VARS_FILE": "/tmp/x.env"}
    )
    assert settings.env_file == "/tmp/x.env" and not settings.enabled
    settings = EnvSettings(enabled=False, file_env={"A": "1"})
    assert apply_settings({"REMOTE": "r"}, settings).env == {"A": "1"}
    assert apply_process_env({}, settings).env == {"A": "1"}


def test_the_env_var_names_the_file_before_the_config() -> None:
    config = {"feature": {"env": {"env_file": "config.env"}}}
    assert env_settings(config).env_file == "config.env"
    chosen = env_settings(config, {"MIRRORD_OVERRIDE_ENV_VARS_FILE": "var.env"})
    assert chosen.env_file == "var.env"


def test_dotenv_syntax(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "\ufeff# a comment\n"
        "PLAIN=1\n"
        "export EXPORTED=yes\n"
        'QUOTED="two words" # trailing comment\n'
        "SINGLE='$PLAIN kept'\n"
        "EMPTY=\n"
        "JOINED=${PLAIN}-x\n"
        "PLAIN=2\n",
        encoding="utf-8",
    )
    assert read_env_file(path) == {
        "PLAIN": "2",  # the last assignment wins
        "EXPORTED": "yes",
        "QUOTED": "two words",
        "SINGLE": "$PLAIN kept",
        "EMPTY": "",
        "JOINED": "1-x",
    }


def test_a_name_without_equals_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\nLONELY\n")
    with pytest.raises(InvalidConfig, match="line 2 names `LONELY` without `=`") as caught:
        read_env_file(path)
    assert str(path) in caught.value.message
    assert caught.value.hint is not None and "feature.env.env_file" in caught.value.hint


def test_an_unparsable_line_is_an_error_that_shows_no_value(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text('A=1\nTOKEN="s3cr3t\n')
    with pytest.raises(InvalidConfig, match="line 2 is not `NAME=value`") as caught:
        read_env_file(path)
    assert caught.value.kind == "invalid-config"
    assert "s3cr3t" not in caught.value.message


@pytest.mark.parametrize(
    ("name", "reason"),
    [("missing.env", "No such file"), ("folder", "Is a directory"), ("latin1.env", "not UTF-8")],
)
def test_an_unreadable_file_is_an_invalid_config(tmp_path: Path, name: str, reason: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "latin1.env").write_bytes(b"A=caf\xe9\n")
    with pytest.raises(InvalidConfig, match=reason) as caught:
        read_env_file(tmp_path / name)
    assert caught.value.kind == "invalid-config"
    assert f"`{tmp_path / name}`" in caught.value.message
    assert caught.value.hint is not None and "feature.env.env_file" in caught.value.hint


def test_where_a_relative_path_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    config = str(tmp_path / "cfg" / "mirrord.json")
    assert env_file_path(".env", str(workspace), config) == workspace / ".env"
    assert env_file_path("sub/.env", None, config) == tmp_path / "cfg" / "sub" / ".env"
    # A workspace folder that does not exist is no base.
    assert env_file_path(".env", str(tmp_path / "nope"), config) == tmp_path / "cfg" / ".env"
    assert env_file_path("/abs/.env", str(workspace), config) == Path("/abs/.env")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert env_file_path("~/.env", str(workspace), config) == tmp_path / "home" / ".env"
    monkeypatch.chdir(tmp_path)
    assert env_file_path(".env", None, None) == tmp_path / ".env"


def test_the_start_request_carries_the_workspace_and_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "dir with space" / "mirrord.json"
    params = StartSessionParams.model_validate({"configUri": config.as_uri()})
    request = start_request(params, None, "/work/space")
    assert request.workspace == "/work/space"
    assert request.config_path == str(config)
    bare = start_request(StartSessionParams.model_validate({}), None)
    assert bare.workspace is None and bare.config_path is None
