"""`mirrord-ide verify-config FILE [--cluster] [--strict] [--json]`: validate one config.

For people (the default): each problem on its own line as
`FILE:LINE:COL: severity: message` (1-based, as compilers print them), errors
first, then a short summary; with `--cluster`, whether the cluster was checked
and, when it was not, why.

For machines (`--json`): the contract's `{"type", "config", "warnings", "errors"}`,
ranges 0-based as in LSP. A cluster that could not be checked is a
`cluster-unavailable` warning there.

Exit code: 0 when the config is valid, 1 when it is not, and 1 with `--strict`
when `--cluster` could not check the cluster.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mirrord_ide.cluster.config_input import read_config_text
from mirrord_ide.config.problems import Problem
from mirrord_ide.document.analysis import Analysis, Finding, analyze
from mirrord_ide.document.formats import config_format
from mirrord_ide.errors import InvalidConfig, MirrordError
from mirrord_ide.textrange import ZERO_RANGE

CLUSTER_UNAVAILABLE = "cluster-unavailable"
CLUSTER_TIMEOUT = 10.0


@dataclass(slots=True)
class ClusterCheck:
    """What `--cluster` did: checked (against which context), or why not."""

    checked: bool
    context: str | None = None
    namespace: str | None = None
    reason: str | None = None
    hint: str | None = None


@dataclass(slots=True)
class Verification:
    result: dict[str, Any]  # the JSON contract
    cluster: ClusterCheck | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)  # with severity


def _failure(message: str, code: str) -> dict[str, Any]:
    error = Finding(ZERO_RANGE, message, code, "error", "")
    return {"type": "Fail", "config": {}, "warnings": [], "errors": [error.to_json()]}


def _resolved(analysis: Analysis) -> dict[str, Any]:
    if analysis.config is None:
        return {}
    from mirrord_ide.config.resolved import resolved_config_json

    return resolved_config_json(analysis.config)


def _live_problems(
    value: Any, kubeconfig: str | None, context: str | None
) -> tuple[list[Problem], ClusterCheck]:
    """The cluster checks for the target, container and namespace, and whether the
    cluster could be read at all (a stopped cluster, a missing kubeconfig or a
    rejected token is said, never taken for success)."""
    import asyncio

    from mirrord_ide.cluster.config_checks import live_problems
    from mirrord_ide.cluster.kubeconfig import cluster_settings
    from mirrord_ide.cluster.service import ClusterService
    from mirrord_ide.config.precedence import resolve_selection

    settings = cluster_settings(kubeconfig, context, value)

    async def run() -> tuple[list[Problem], ClusterCheck]:
        service = ClusterService(settings, timeout=CLUSTER_TIMEOUT)
        try:
            client = await service.client(CLUSTER_TIMEOUT)
            # Reading the namespaces proves the cluster answers and accepts the credentials.
            await service.list_namespaces(CLUSTER_TIMEOUT)
            selection = resolve_selection(
                config=value if isinstance(value, dict) else None,
                kube_namespace=client.namespace,
                lenient=True,
            )
            # A namespace set by the environment wins over the file's (as for a launch).
            override = selection.namespace if selection.namespace_source == "env" else None
            problems = await live_problems(
                value, service, namespace_override=override, timeout=CLUSTER_TIMEOUT
            )
            return problems, ClusterCheck(True, client.context, selection.namespace)
        finally:
            service.close()

    try:
        return asyncio.run(run())
    except MirrordError as error:
        return [], ClusterCheck(False, reason=error.message, hint=error.hint)


def verify_file(
    file: str,
    cluster: bool = False,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
) -> Verification:
    """Validate `file` (and, with `cluster`, check it against the cluster)."""
    fmt = config_format(file, allow_no_extension=True)
    if fmt is None:
        ext = Path(file).suffix.lstrip(".")
        return _as_failure(
            f"the file has an invalid extension `{ext}`, must have one of: json, toml, yml, yaml",
            "invalid-extension",
        )
    try:
        text = read_config_text(file)
    except InvalidConfig as exc:
        return _as_failure(exc.message, "unreadable-file")
    analysis = analyze(text, fmt)
    check: ClusterCheck | None = None
    notes: list[Finding] = []
    if cluster:
        if analysis.config is None:
            check = ClusterCheck(False, reason="the config has errors", hint="fix them first")
        else:
            live, check = _live_problems(analysis.parsed.value, kubeconfig, context)
            if live:
                analysis = analyze(text, fmt, extra_problems=live)
            if not check.checked:
                note = f"the cluster was not checked: {check.reason}"
                if check.hint:
                    note += f" ({check.hint})"
                notes.append(Finding(ZERO_RANGE, note, CLUSTER_UNAVAILABLE, "warning", ""))
    errors = analysis.errors
    warnings = analysis.warnings + notes
    result = {
        "type": "Fail" if errors else "Success",
        "config": _resolved(analysis),
        "warnings": [f.to_json() for f in warnings],
        "errors": [f.to_json() for f in errors],
    }
    findings = [
        {**f.to_json(), "severity": f.severity}
        for f in [*errors, *warnings]
        if f.code != CLUSTER_UNAVAILABLE
    ]
    return Verification(result, check, findings)


def _as_failure(message: str, code: str) -> Verification:
    result = _failure(message, code)
    return Verification(result, None, [{**result["errors"][0], "severity": "error"}])


def verify(file: str, cluster: bool = False) -> dict[str, Any]:
    """The verify-config result for `file` as a JSON-able dict (the contract)."""
    return verify_file(file, cluster).result


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def human_report(file: str, verification: Verification) -> str:
    """Problems as `FILE:LINE:COL: severity: message` (1-based), then a summary."""
    lines = []
    for finding in verification.findings:
        start = finding["range"]["start"]
        message = " ".join(str(finding["message"]).split())
        where = f" [{finding['path']}]" if finding.get("path") else ""
        lines.append(
            f"{file}:{start['line'] + 1}:{start['character'] + 1}: "
            f"{finding['severity']}: {message}{where}"
        )
    result = verification.result
    errors, warnings = len(result["errors"]), len(verification.findings) - len(result["errors"])
    verdict = "invalid" if result["type"] == "Fail" else "valid"
    lines.append(f"{file}: {verdict} ({_plural(errors, 'error')}, {_plural(warnings, 'warning')})")
    check = verification.cluster
    if check is not None:
        if check.checked:
            lines.append(
                f"cluster: checked against context `{check.context}` (namespace {check.namespace})"
            )
        else:
            lines.append(f"cluster: NOT checked: {check.reason}")
            if check.hint:
                lines.append(f"hint: {check.hint}")
    return "\n".join(lines) + "\n"


def run_verify_config(
    file: str,
    cluster: bool = False,
    out: TextIO | None = None,
    *,
    as_json: bool = True,
    strict: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
) -> int:
    """Print the result; exit code 0 on Success, 1 on Fail (or, with `strict`, when the
    cluster could not be checked)."""
    try:
        verification = verify_file(file, cluster, kubeconfig=kubeconfig, context=context)
    except Exception as exc:  # noqa: BLE001 - print a Fail, never a traceback
        verification = _as_failure(f"the config could not be verified: {exc}", "internal-error")
    stream = out if out is not None else sys.stdout
    if as_json:
        stream.write(json.dumps(verification.result, indent=2, ensure_ascii=False) + "\n")
    else:
        stream.write(human_report(file, verification))
    stream.flush()
    if verification.result["type"] != "Success":
        return 1
    if strict and verification.cluster is not None and not verification.cluster.checked:
        return 1
    return 0
