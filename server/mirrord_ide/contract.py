"""The client contract (`contract.json` in this package): config file globs, error
codes and the JSON Schemas of the `mirrord/*` requests. The VS Code extension and the
JetBrains core read the same file; this module is the Python reader."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any


@cache
def contract() -> dict[str, Any]:
    text = resources.files("mirrord_ide").joinpath("contract.json").read_text(encoding="utf-8")
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError("contract.json must hold a JSON object")
    return loaded


def glob_to_regex(glob: str) -> str:
    """The regular expression of a contract glob: `**/` is any number of folders
    (none too), `*` any characters but `/`, `{a,b}` either; the rest is literal."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "{":
            end = glob.index("}", i)
            out.append("(?:" + "|".join(re.escape(p) for p in glob[i + 1 : end].split(",")) + ")")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


@cache
def config_file_pattern() -> re.Pattern[str]:
    rule = contract()["configFiles"]
    flags = 0 if rule.get("caseSensitive", True) else re.IGNORECASE
    return re.compile("|".join(f"(?:{glob_to_regex(g)})" for g in rule["globs"]), flags)


def config_extensions() -> dict[str, str]:
    """File extension → the format mirrord parses it as."""
    return dict(contract()["configFiles"]["extensions"])


def error_codes() -> dict[str, int]:
    return {str(k): int(v) for k, v in contract()["errors"]["codes"].items()}


def fallback_error_code() -> int:
    return int(contract()["errors"]["fallbackCode"])
