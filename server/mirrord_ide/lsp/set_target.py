"""`mirrord/setTarget`: the edit that saves a target choice into a config.

`{"configUri", "target": str | null, "namespace"?}` → `{"edit": WorkspaceEdit}`. The
server reads the config (the editor's open document, else the file) and answers with
the text edits that write the target in mirrord's forms (`document/target_edit.py`);
the client applies them, so undo and unsaved changes work as for any edit. A config
that does not exist yet is created by the edit (`CreateFile`, then its text).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mirrord_ide.config.kube_names import check_target_names
from mirrord_ide.config.target_path import (
    TARGETLESS,
    TargetPath,
    TargetPathError,
    parse_target_path,
)
from mirrord_ide.errors import InvalidConfig
from mirrord_ide.lsp.edge import custom_request
from mirrord_ide.lsp.request_types import TARGET_HINT, SetTargetParams, SetTargetResult
from mirrord_ide.names import check_namespace

if TYPE_CHECKING:
    from mirrord_ide.document.assist import TextEdit
    from mirrord_ide.lsp.server import MirrordLanguageServer


def _target(params: SetTargetParams) -> TargetPath:
    value = params.target
    if value is None:
        return TARGETLESS
    try:
        target = parse_target_path(value)
    except TargetPathError as error:
        raise InvalidConfig(
            f"invalid target `{value}`: {error.message}", hint=TARGET_HINT
        ) from None
    return check_target_names(target, "the target parameter")


def _namespace(params: SetTargetParams) -> str | None:
    value = params.namespace
    return None if value is None else check_namespace(value, "the namespace parameter")


def _edit_json(edit: TextEdit) -> dict[str, Any]:
    return {"range": edit.range.to_json(), "newText": edit.new_text}


def set_target_edit(
    uri: str, text: str | None, target: TargetPath, namespace: str | None
) -> dict[str, Any]:
    """The WorkspaceEdit (as JSON) for the config at `uri` whose current text is
    `text` (None: the file does not exist)."""
    from mirrord_ide.document.formats import config_format
    from mirrord_ide.document.parse import parse_document
    from mirrord_ide.document.target_edit import (
        TargetEditError,
        new_config_text,
        set_target_edits,
        target_value,
    )

    fmt = config_format(uri, allow_no_extension=True)
    if fmt is None:
        raise InvalidConfig(
            f"{Path(uri).name}: mirrord reads only .json, .toml, .yaml and .yml configs",
            hint="save the target into a mirrord.json, mirrord.toml or mirrord.yaml",
        )
    if text is None:
        content = new_config_text(fmt, target_value(target, namespace, None))
        start = {"line": 0, "character": 0}
        return {
            "documentChanges": [
                {"kind": "create", "uri": uri, "options": {"ignoreIfExists": True}},
                {
                    "textDocument": {"uri": uri, "version": None},
                    "edits": [{"range": {"start": start, "end": start}, "newText": content}],
                },
            ]
        }
    try:
        edits = set_target_edits(parse_document(text, fmt), target, namespace)
    except TargetEditError as error:
        raise InvalidConfig(
            f"cannot save the target into {_name(uri)}: {error}",
            hint=f"set `target` by hand to {target.canonical}"
            + (f" in namespace {namespace}" if namespace else ""),
        ) from None
    return {"changes": {uri: [_edit_json(edit) for edit in edits]}}


def _name(uri: str) -> str:
    from mirrord_ide.cluster.config_input import config_name

    return config_name(uri)


def _current_text(ls: MirrordLanguageServer, uri: str) -> str | None:
    """The open document's text, else the file's; None when the file does not exist."""
    from mirrord_ide.cluster.config_input import document_text, read_config_text, uri_to_path

    text = document_text(ls, uri)
    if text is not None:
        return text
    if not uri_to_path(uri).exists():
        return None
    return read_config_text(uri)


async def set_target(ls: MirrordLanguageServer, params: SetTargetParams) -> SetTargetResult:
    uri = params.config_uri
    target = _target(params)
    namespace = _namespace(params)
    return {"edit": set_target_edit(uri, _current_text(ls, uri), target, namespace)}


def register(server: MirrordLanguageServer) -> None:
    server.feature("mirrord/setTarget")(custom_request(SetTargetParams, set_target))
