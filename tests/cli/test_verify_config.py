"""`mirrord-ide verify-config` as a user runs it: a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).parent / "mirrord-ide"


def _run(*args: str) -> tuple[int, dict]:
    proc = subprocess.run(
        [str(EXE), "verify-config", *args], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_success_prints_resolved_config(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('// dev\n{"target": {"path": "deployment/web", "namespace": "dev"}}\n')
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
    cfg.write_text('[feature.env]\ninclude = "A"\nexclude = "B"\n')
    code, out = _run(str(cfg))
    assert code == 0 and out["type"] == "Success"
    assert out["warnings"] and out["warnings"][0]["path"].startswith("feature.env")


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


def test_cluster_flag_without_a_cluster_still_answers(tmp_path: Path) -> None:
    cfg = tmp_path / "mirrord.json"
    cfg.write_text('{"target": "pod/x", "kubeconfig": "' + str(tmp_path / "none") + '"}')
    code, out = _run(str(cfg), "--cluster")
    assert out["type"] in ("Success", "Fail")
    assert code == (0 if out["type"] == "Success" else 1)
