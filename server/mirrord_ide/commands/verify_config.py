"""`mirrord-ide verify-config FILE [--cluster]`: validate one config file and
print the contract's JSON: `{"type", "config", "warnings", "errors"}`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from mirrord_ide.config.problems import Problem
from mirrord_ide.document.analysis import Analysis, Finding, analyze
from mirrord_ide.document.formats import config_format
from mirrord_ide.textrange import ZERO_RANGE


def _failure(message: str, code: str) -> dict[str, Any]:
    error = Finding(ZERO_RANGE, message, code, "error", "")
    return {"type": "Fail", "config": {}, "warnings": [], "errors": [error.to_json()]}


def _resolved(analysis: Analysis) -> dict[str, Any]:
    if analysis.config is None:
        return {}
    from mirrord_ide.config.resolved import resolved_config_json

    return resolved_config_json(analysis.config)


def _live_problems(value: Any) -> tuple[list[Problem], str | None]:
    """Cluster checks for the target and container; a note when they cannot run."""
    try:
        from mirrord_ide.cluster.config_checks import live_problems_sync
        from mirrord_ide.cluster.kubeconfig import KubeSettings
    except ImportError as exc:
        return [], f"cluster checks are unavailable: {exc}"
    kubeconfig = value.get("kubeconfig") if isinstance(value, dict) else None
    context = value.get("kube_context") if isinstance(value, dict) else None
    settings = KubeSettings(
        kubeconfig=kubeconfig if isinstance(kubeconfig, str) else None,
        context=context if isinstance(context, str) else None,
    )
    try:
        return live_problems_sync(value, settings), None
    except Exception as exc:  # noqa: BLE001 - the file is not wrong because the cluster is away
        return [], f"the cluster could not be checked: {exc}"


def verify(file: str, cluster: bool = False) -> dict[str, Any]:
    """The verify-config result for `file` as a JSON-able dict."""
    fmt = config_format(file, allow_no_extension=True)
    if fmt is None:
        ext = Path(file).suffix.lstrip(".")
        return _failure(
            f"the file has an invalid extension `{ext}`, must have one of: json, toml, yml, yaml",
            "invalid-extension",
        )
    try:
        text = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return _failure(f"{file} is not UTF-8 text", "unreadable-file")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _failure(f"cannot read {file}: {reason}", "unreadable-file")
    analysis = analyze(text, fmt)
    notes: list[dict[str, Any]] = []
    if cluster and analysis.config is not None:
        live, note = _live_problems(analysis.parsed.value)
        if live:
            analysis = analyze(text, fmt, extra_problems=live)
        if note:
            notes.append(Finding(ZERO_RANGE, note, "cluster-unavailable", "warning", "").to_json())
    errors = [f.to_json() for f in analysis.errors]
    warnings = [f.to_json() for f in analysis.warnings] + notes
    return {
        "type": "Fail" if errors else "Success",
        "config": _resolved(analysis),
        "warnings": warnings,
        "errors": errors,
    }


def run_verify_config(file: str, cluster: bool = False, out: TextIO | None = None) -> int:
    """Print the result; exit code 0 on Success, 1 on Fail."""
    try:
        result = verify(file, cluster)
    except Exception as exc:  # noqa: BLE001 - print a Fail, never a traceback
        result = _failure(f"the config could not be verified: {exc}", "internal-error")
    stream = out if out is not None else sys.stdout
    stream.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    stream.flush()
    return 0 if result["type"] == "Success" else 1
