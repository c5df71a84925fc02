"""The Python side of the client contract: the shared table of config file cases, the
error codes, and the request schemas being well-formed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mirrord_ide.contract import contract, glob_to_regex
from mirrord_ide.document.formats import config_format, is_config_file
from mirrord_ide.errors import MirrordError
from mirrord_ide.lsp.edge import ERROR_CODES, to_response_error

CASES = Path(__file__).resolve().parents[2] / "contract" / "cases" / "config-files.json"


def _cases() -> list[dict[str, Any]]:
    loaded = json.loads(CASES.read_text(encoding="utf-8"))
    return list(loaded["cases"])


@pytest.mark.parametrize("case", _cases(), ids=lambda c: str(c["path"]))
def test_config_file_cases(case: dict[str, Any]) -> None:
    path = case["path"]
    assert is_config_file(path) is case["config"]
    assert is_config_file(Path(path).as_uri() if path.startswith("/") else path) is case["config"]
    assert config_format(path) == case["format"]


def test_glob_translation() -> None:
    assert glob_to_regex("**/a.{x,y}") == r"(?:.*/)?a\.(?:x|y)"
    assert glob_to_regex("*.b") == r"[^/]*\.b"


def test_error_codes_come_from_the_contract() -> None:
    codes = contract()["errors"]["codes"]
    assert ERROR_CODES == codes
    kinds = ("unreachable", "unauthorized", "forbidden", "not-found", "invalid-config", "timeout")
    assert set(codes) == {*kinds, "conflict"}
    for kind, code in codes.items():
        error = to_response_error(MirrordError("m", kind=kind))
        assert error.code == code
        assert error.data is not None and error.data["kind"] == kind


def test_schemas_are_valid_json_schema() -> None:
    document = contract()
    assert document["protocolVersion"] == 2
    Draft202012Validator.check_schema(document)
    names = set(document["requests"])
    assert names == {
        "mirrord/listNamespaces",
        "mirrord/listTargets",
        "mirrord/targetPickerItems",
        "mirrord/startSession",
        "mirrord/stopSession",
        "mirrord/listSessions",
        "mirrord/setTarget",
    }
    for shapes in [*document["requests"].values(), *document["notifications"].values()]:
        for schema in shapes.values():
            Draft202012Validator.check_schema({"$defs": document["$defs"], **schema})
