"""Label and field selectors: parsing and matching, as `kubectl -l` / `--field-selector` send them.

Label selectors support `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` and `!k`,
joined by commas. Field selectors support `path=v`, `path==v` and `path!=v` on dotted paths.
Parse errors raise `SelectorError` (answered with 400 by the server).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Matcher = Callable[[Mapping[str, str]], bool]


class SelectorError(ValueError):
    pass


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unbalanced parenthesis in selector {text!r}")
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth != 0:
        raise SelectorError(f"unbalanced parenthesis in selector {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_SET_RE = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^)]*)\)$")
_CMP_RE = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|!=|=)\s*(?P<value>[^=!,]*)$")
_EXISTS_RE = re.compile(rf"^(?P<neg>!?)\s*(?P<key>{_KEY})$")


def _requirement(term: str) -> Matcher:
    if m := _SET_RE.match(term):
        key = m["key"]
        values = frozenset(v.strip() for v in m["values"].split(",") if v.strip())
        if m["op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _CMP_RE.match(term):
        key, value = m["key"], m["value"].strip()
        if m["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS_RE.match(term):
        key = m["key"]
        if m["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise SelectorError(f"unable to parse requirement: {term!r}")


def parse_label_selector(text: str | None) -> Matcher | None:
    """A predicate over a label map, or None when the selector selects everything."""
    if not text or not text.strip():
        return None
    requirements = [_requirement(term) for term in _split_top_level(text)]
    return lambda labels: all(req(labels) for req in requirements)


def match_labels_selector(selector: Mapping[str, Any] | None) -> str:
    """A `LabelSelector` object (matchLabels/matchExpressions) as selector text."""
    if not selector:
        return ""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = str(expr.get("operator", ""))
        key = expr.get("key", "")
        values = ",".join(expr.get("values") or [])
        if op == "In":
            terms.append(f"{key} in ({values})")
        elif op == "NotIn":
            terms.append(f"{key} notin ({values})")
        elif op == "Exists":
            terms.append(str(key))
        elif op == "DoesNotExist":
            terms.append(f"!{key}")
    return ",".join(terms)


FieldTerm = tuple[str, bool, str]  # (path, equal, value)


def parse_field_selector(text: str | None, allowed: frozenset[str]) -> list[FieldTerm]:
    if not text or not text.strip():
        return []
    terms: list[FieldTerm] = []
    for raw in text.split(","):
        raw = raw.strip()
        if not raw:
            continue
        if "!=" in raw:
            path, value = raw.split("!=", 1)
            equal = False
        elif "==" in raw:
            path, value = raw.split("==", 1)
            equal = True
        elif "=" in raw:
            path, value = raw.split("=", 1)
            equal = True
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{raw}'")
        path = path.strip()
        if path not in allowed:
            raise SelectorError(f"field label not supported: {path}")
        terms.append((path, equal, value.strip()))
    return terms


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string form of a dotted path in an object; missing → empty string."""
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return ""
        current = current.get(part)
        if current is None:
            return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    if isinstance(current, Mapping):
        # `source` on events selects by component.
        return str(current.get("component", ""))
    return str(current)


def match_fields(obj: Mapping[str, Any], terms: list[FieldTerm]) -> bool:
    for path, equal, value in terms:
        if (field_value(obj, path) == value) != equal:
            return False
    return True
