"""Neovim 0.7's built-in LSP client runs the real server: diagnostics arrive
with code, source and byte columns Neovim converted from UTF-16, and a
`mirrord/*` request gets a structured reply."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import unreachable_kubeconfig

pytestmark = [pytest.mark.slow, pytest.mark.editor, pytest.mark.timeout(120)]

NVIM = shutil.which("nvim")
SCRIPT = Path(__file__).with_name("neovim_client.lua")

BROKEN = """{
  "target": "targetless",
  "agent": {"namespace": "café", "feture": true}
}
"""


def has_simulated_cluster() -> bool:
    return importlib.util.find_spec("mirrord_simcluster.testing") is not None


@pytest.fixture(params=["simulated-cluster", "unreachable"])
def kubeconfig(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Path, list[str] | None]]:
    """A kubeconfig and the namespaces expected from it (None: unreachable)."""
    if request.param == "unreachable":
        yield unreachable_kubeconfig(tmp_path / "kubeconfig"), None
        return
    if not has_simulated_cluster():
        pytest.skip("the simulated cluster (mirrord_simcluster.testing) is not available")
    from mirrord_simcluster import testing

    with testing.running_cluster() as cluster:
        names = sorted(obj["metadata"]["name"] for obj in cluster.store.list("namespaces"))
        yield cluster.kubeconfig_path, names


def run_neovim(tmp_path: Path, kubeconfig: Path) -> dict:
    config = tmp_path / "project" / "mirrord.json"
    config.parent.mkdir()
    config.write_text(BROKEN, encoding="utf-8")
    out = tmp_path / "result.json"
    env = dict(os.environ)
    env.update(
        MIRRORD_TEST_OUT=str(out),
        MIRRORD_TEST_CONFIG=str(config),
        MIRRORD_TEST_PYTHON=sys.executable,
        MIRRORD_TEST_KUBECONFIG=str(kubeconfig),
        KUBECONFIG=str(kubeconfig),
        HOME=str(tmp_path),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    assert NVIM is not None
    proc = subprocess.run(
        [NVIM, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {SCRIPT}"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=90,
    )
    assert out.exists(), f"nvim wrote no result (rc={proc.returncode}): {proc.stderr[-2000:]!r}"
    return json.loads(out.read_text())


@pytest.mark.skipif(NVIM is None, reason="nvim is not installed (Debian package `neovim`)")
def test_neovim_gets_diagnostics_and_a_mirrord_reply(
    tmp_path: Path, kubeconfig: tuple[Path, list[str] | None]
) -> None:
    path, namespaces = kubeconfig
    result = run_neovim(tmp_path, path)

    unknown = [d for d in result["diagnostics"] if d["code"] == "unknown-key"]
    assert len(unknown) == 1, result
    [diag] = unknown
    assert diag["source"] == "mirrord"
    assert "feture" in diag["message"]
    # Neovim reports byte columns: "é" is one UTF-16 unit but two UTF-8 bytes.
    line = BROKEN.splitlines()[2]
    start = len(line[: line.index('"feture"')].encode("utf-8"))
    assert (diag["lnum"], diag["col"]) == (2, start)
    assert (diag["end_lnum"], diag["end_col"]) == (2, start + len('"feture"'))

    if namespaces is None:
        error = result["error"]
        assert isinstance(error, dict) and error.get("data"), result
        assert error["data"]["kind"] == "unreachable"
        assert error["data"]["message"]
    else:
        assert result["error"] is None, result
        assert sorted(result["reply"]["namespaces"]) == namespaces
        assert result["reply"]["current"] in namespaces
