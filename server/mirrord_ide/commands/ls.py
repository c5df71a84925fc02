"""`mirrord-ide ls`: the targets mirrord could impersonate, as kubectl would list them.

Output (`-o`): a table by default (`NAME KIND CONTAINER AVAILABLE REASON`, with a
`NAMESPACE` column in front for `-A`), `wide` (every column, reasons in full), `name`
(one target path a line, ready for a config's `target`), `yaml`, and `json`: the
shape of `mirrord/listTargets` on one line, the machine contract.

The namespace is chosen as everywhere else (`config.precedence.resolve_selection`):
`--namespace`, then `MIRRORD_TARGET_NAMESPACE`, then the config's `target.namespace`,
then the kube context's namespace. The cluster: `--kubeconfig`/`--context`, then
`MIRRORD_KUBECONFIG`/`MIRRORD_KUBE_CONTEXT`, then the config's, then kubectl's defaults.

On failure: exit code 1, `error: ...` and `hint: ...` on stderr; with `-o json` also
the contract's one line `{"error": {"kind", "message", "hint"?}}` on stdout.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from typing import Any, Literal, TextIO

import orjson

from mirrord_ide.errors import MirrordError

LS_TIMEOUT = 30.0
OutputFormat = Literal["table", "wide", "name", "json", "yaml"]
OUTPUT_FORMATS: tuple[str, ...] = ("table", "wide", "name", "json", "yaml")
REASON_WIDTH = 60


async def list_targets_json(
    namespace: str | None,
    config: str | None,
    all_namespaces: bool,
    timeout: float = LS_TIMEOUT,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
) -> dict[str, Any]:
    from mirrord_ide.cluster.config_input import DiscoveryConfig, load_config_file
    from mirrord_ide.cluster.kubeconfig import cluster_settings
    from mirrord_ide.cluster.service import ClusterService
    from mirrord_ide.cluster.targets import TargetRules
    from mirrord_ide.config.precedence import resolve_selection
    from mirrord_ide.names import check_chosen_namespace

    check_chosen_namespace((namespace, "--namespace"))
    # A config given on the command line must be valid: a typo is an error, not ignored.
    cfg = load_config_file(config, strict=True) if config else DiscoveryConfig()
    value = cfg.value if isinstance(cfg.value, dict) else None
    # Every name is checked (naming where it came from) before any request is made.
    resolve_selection(request_namespace=namespace, config=value)
    settings = cluster_settings(kubeconfig, context, value)
    service = ClusterService(settings, timeout=timeout)
    try:
        current = await service.current_namespace()
        selection = resolve_selection(
            request_namespace=namespace, config=value, kube_namespace=current
        )
        # MIRRORD_OPERATOR_ENABLE may turn the operator (and its target kinds) on or off.
        rules = TargetRules.from_config(cfg.value, os.environ)
        listing = await service.list_targets(
            selection.namespace, all_namespaces=all_namespaces, rules=rules
        )
        return listing.to_json()
    finally:
        service.close()


# -- output -------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value).replace("\n", " ")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def table(result: dict[str, Any], *, wide: bool = False, namespace_column: bool = False) -> str:
    """The listing as kubectl-style columns (three spaces between columns)."""
    headers = ["NAME", "KIND", "CONTAINER", "AVAILABLE", "REASON"]
    if namespace_column:
        headers.insert(0, "NAMESPACE")
    rows: list[list[str]] = [headers]
    for target in result.get("targets") or []:
        reason = _cell(target.get("reason"))
        row = [
            _cell(target.get("path")),
            _cell(target.get("kind")),
            _cell(target.get("container")),
            "yes" if target.get("available", True) else "no",
            reason if wide else _short(reason, REASON_WIDTH),
        ]
        if namespace_column:
            row.insert(0, _cell(target.get("namespace")))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def render(result: dict[str, Any], output: OutputFormat, all_namespaces: bool) -> str:
    if output == "json":
        return orjson.dumps(result).decode() + "\n"
    if output == "yaml":
        import yaml

        return str(yaml.safe_dump(result, sort_keys=False, allow_unicode=True))
    if output == "name":
        return "".join(f"{t['path']}\n" for t in result.get("targets") or [])
    if not result.get("targets"):
        return ""
    wide = output == "wide"
    return table(result, wide=wide, namespace_column=all_namespaces or wide)


def print_error(error: MirrordError, stream: TextIO) -> None:
    """`error: ...` and, when there is one, `hint: ...` (one line each)."""
    message = " ".join(error.message.split())
    stream.write(f"error: {message}\n")
    if error.hint:
        stream.write(f"hint: {' '.join(error.hint.split())}\n")
    stream.flush()


def run_ls(
    namespace: str | None,
    config: str | None,
    all_namespaces: bool,
    *,
    output: OutputFormat = "table",
    kubeconfig: str | None = None,
    context: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    try:
        result = asyncio.run(
            list_targets_json(
                namespace, config, all_namespaces, kubeconfig=kubeconfig, context=context
            )
        )
    except MirrordError as error:
        if output == "json":
            stdout.write(orjson.dumps({"error": error.to_data()}).decode() + "\n")
            stdout.flush()
        print_error(error, stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    stdout.write(render(result, output, all_namespaces))
    stdout.flush()
    if output not in ("json", "yaml"):
        for warning in _warnings(result):
            stderr.write(f"warning: {warning}\n")
        if not result.get("targets"):
            where = "any namespace" if all_namespaces else f"{result.get('namespace')} namespace"
            stderr.write(f"No targets found in {where}.\n")
        stderr.flush()
    return 0


def _warnings(result: dict[str, Any]) -> Sequence[str]:
    warnings = result.get("warnings") or []
    return [str(w) for w in warnings]
