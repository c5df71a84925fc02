"""`mirrord-ide verify-config` as a user runs it: a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.cluster import ADMIN, EXPIRED, seed, workload
from support.server import unreachable_kubeconfig

EXE = Path(sys.executable).parent / "mirrord-ide"


def _run(*args: str) -> tuple[int, dict]:
    proc = subprocess.run(
        [str(EXE), "verify-config", "--json", *args], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_success_prints_resolved_config(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": {"path": "deployment/web", "namespace": "dev"}}\n')
    code, out = _run(str(cfg))
    assert code == 0
    assert out["type"] == "Success"
    assert out["errors"] == []
    assert out["config"]["target"]["namespace"] == "dev"
    assert out["config"]["agent"]["ttl"] == 1  # defaults filled


def test_fail_lists_errors_with_paths_and_ranges(tmp_path: Path) -> None:
    cfg = tmp_path / "app.mirrord.yaml"
    cfg.write_text("# é😀\nfeature:\n  network:\n    incoming:\n      mod: steal\n")
    code, out = _run(str(cfg))
    assert code == 1
    assert out["type"] == "Fail"
    err = out["errors"][0]
    assert err["path"] == "feature.network.incoming.mod"
    assert err["code"] == "unknown-key"
    assert err["range"] == {
        "start": {"line": 4, "character": 6},
        "end": {"line": 4, "character": 9},
    }
    assert set(out) == {"type", "config", "warnings", "errors"}


def test_warnings_do_not_fail(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.toml"
    cfg.write_text("[agent]\nstartup_timeout = 0\n")
    code, out = _run(str(cfg))
    assert code == 0 and out["type"] == "Success"
    assert out["warnings"] and out["warnings"][0]["path"] == "agent.startup_timeout"


def test_syntax_error_fails(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": }')
    code, out = _run(str(cfg))
    assert code == 1
    assert out["errors"][0]["code"] == "syntax-error"


@pytest.mark.parametrize("name", ["missing.json", "mirrord.ini"])
def test_unreadable_or_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".ini"):
        path.write_text("x=1")
    code, out = _run(str(path))
    assert code == 1
    assert out["type"] == "Fail"
    assert out["errors"][0]["message"]


def test_no_extension_is_json(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.write_text('{"operator": false}')
    code, out = _run(str(cfg))
    assert code == 0, out


@pytest.mark.slow
def test_cluster_flag_without_a_cluster_still_answers(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": "pod/x", "kubeconfig": "' + str(tmp_path / "none") + '"}')
    code, out = _run(str(cfg), "--cluster")
    assert out["type"] in ("Success", "Fail")
    assert code == (0 if out["type"] == "Success" else 1)


# -- the human report ---------------------------------------------------------------------


def _human(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(EXE), "verify-config", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_human_report_lists_errors_first_with_one_based_positions(tmp_path: Path) -> None:
    cfg = tmp_path / "app.mirrord.yaml"
    cfg.write_text(
        "agent:\n  startup_timeout: 0\nfeature:\n  network:\n    incoming:\n      mod: steal\n"
    )
    proc = _human(str(cfg))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    # The error (line 6, column 7) comes before the warning (line 2), though it is later.
    assert lines[0].startswith(f"{cfg}:6:7: error: unknown key `mod`"), lines
    assert lines[1].startswith(f"{cfg}:2:20: warning: "), lines
    assert lines[-1] == f"{cfg}: invalid (1 error, 1 warning)"
    assert len(lines) == 3  # no resolved config dump


def test_human_report_of_a_valid_file_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": "targetless"}')
    proc = _human(str(cfg))
    assert proc.returncode == 0
    assert proc.stdout == f"{cfg}: valid (0 errors, 0 warnings)\n"


def _cluster_env(kubeconfig: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    env["KUBECONFIG"] = str(kubeconfig)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("why", ["stopped cluster", "missing kubeconfig", "rejected token"])
def test_cluster_not_checked_is_said_and_strict_fails(
    tmp_path: Path, why: str, sim_cluster_factory: Any
) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": {"path": "deployment/web", "namespace": "default"}}')
    if why == "stopped cluster":
        kubeconfig: Path | str = unreachable_kubeconfig(tmp_path / "stopped")
        expected = "cannot connect"
    elif why == "missing kubeconfig":
        kubeconfig = tmp_path / "nowhere"
        expected = "no kubeconfig found"
    else:
        cluster = sim_cluster_factory(EXPIRED_SEED)
        kubeconfig = cluster.kubeconfig_for("expired")
        expected = "rejected the credentials"
    env = _cluster_env(kubeconfig)
    proc = _human(str(cfg), "--cluster", env=env)
    assert proc.returncode == 0, proc.stdout  # the file itself is fine
    assert "cluster: NOT checked: " in proc.stdout and expected in proc.stdout, proc.stdout
    assert _human(str(cfg), "--cluster", "--strict", env=env).returncode == 1
    # The machine output says it too, as a warning.
    out = json.loads(_human(str(cfg), "--cluster", "--json", env=env).stdout)
    assert out["type"] == "Success"
    assert [w["code"] for w in out["warnings"]] == ["cluster-unavailable"]
    assert expected in out["warnings"][0]["message"]


EXPIRED_SEED = seed(
    {"name": "default", "deployments": [workload("web", "web:1")]}, users=(ADMIN, EXPIRED)
)


@pytest.mark.slow
def test_cluster_checked_says_against_what(tmp_path: Path, sim_cluster_factory: Any) -> None:
    cluster = sim_cluster_factory(EXPIRED_SEED)
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": {"path": "deployment/webb", "namespace": "default"}}')
    proc = _human(str(cfg), "--cluster", "--strict", env=_cluster_env(cluster.kubeconfig_path))
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f'{cfg}:1:21: warning: deployment "webb" not found'), lines
    assert lines[-1] == "cluster: checked against context `admin@mirrord-sim` (namespace default)"
    # --context picks the context, as kubectl's flag does.
    proc = _human(
        str(cfg), "--cluster", "--context", "nope", env=_cluster_env(cluster.kubeconfig_path)
    )
    assert "cluster: NOT checked: context `nope` not found" in proc.stdout
