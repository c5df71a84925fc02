"""Validate a parsed mirrord config (any JSON-like value) into clean `Problem`s.

Pydantic reports every schema error in one pass; each is turned into one problem with a
stable code (`unknown-key`, `wrong-type`, `invalid-value`, `out-of-range`,
`missing-key`, `invalid-target-path`, ...). The offending values are then removed and
the rest validated again, so a config with errors still yields a model for the
semantic checks and the target grammar. Never raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mirrord_ide.config.suggest import close_matches

from .model import MirrordConfig
from .problems import KeyPath, LargeNumber, Problem
from .schema_info import allowed_keys, enum_values_of, expected_text, integer_bounds, type_at
from .target_path import OBJECT_KEYS, TargetPathError, parse_target_path, target_from_object

_MAX_ROUNDS = 8

_TYPE_ERRORS = {
    "wrong_kind",
    "bool_type",
    "int_type",
    "int_from_float",
    "float_type",
    "string_type",
    "dict_type",
    "list_type",
    "tuple_type",
    "model_type",
    "model_attributes_type",
    "is_instance_of",
    "union_tag_invalid",
    "union_tag_not_found",
    "none_required",
}
_RANGE_ERRORS = {"less_than_equal", "greater_than_equal", "less_than", "greater_than"}
_UNSIGNED_MAXIMA = {65535: "0..65535", 4294967295: "0..4294967295", 2**64 - 1: "0..2^64-1"}


@dataclass
class ValidationResult:
    config: MirrordConfig | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_config(value: Any) -> ValidationResult:
    """Check `value` against mirrord's config model, its target grammar and semantics."""
    try:
        return _validate(value)
    except Exception as exc:  # noqa: BLE001 - validation must never take the server down
        return ValidationResult(
            None,
            [Problem((), f"the config could not be validated: {exc}", "internal-error")],
        )


def _validate(value: Any) -> ValidationResult:
    if not isinstance(value, Mapping):
        return ValidationResult(
            None,
            [
                Problem(
                    (),
                    f"a mirrord config must be an object, got {describe_value(value)}",
                    "wrong-type",
                )
            ],
        )
    # The input is only copied when it has errors and needs pruning.
    data: Any = value
    problems: list[Problem] = []
    pruned: list[KeyPath] = []
    config: MirrordConfig | None = None
    for _ in range(_MAX_ROUNDS):
        try:
            config = MirrordConfig.model_validate(data)
            break
        except ValidationError as exc:
            if data is value:
                data = _plain(value)
            round_paths: list[tuple[KeyPath, bool]] = []
            for err in exc.errors():
                path = _user_path(err["loc"])
                problem, remove_parent = _to_problem(err, path, value)
                target = path[:-1] if remove_parent and path else path
                hidden = any(_caused_by(path, p) for p in pruned)
                if problem is not None and not hidden:
                    problems.append(problem)
                round_paths.append((target, remove_parent))
            removed_any = False
            for target, _parent in sorted(round_paths, key=lambda t: _sort_key(t[0]), reverse=True):
                if not target:
                    continue
                if _remove(data, target):
                    removed_any = True
                pruned.append(target)
            if not removed_any:
                break
    problems.extend(_target_problems(value))
    if config is not None:
        from .checks import run_checks  # checks imports the model too; keep import order simple

        # Checks see the config without the removed values; what they report about those
        # places would be an echo of the schema errors already reported.
        problems.extend(
            p for p in run_checks(config, value) if not any(_overlaps(p.path, q) for q in pruned)
        )
    return ValidationResult(config, _dedupe(problems))


# ---------------------------------------------------------------------- translation


def _user_path(loc: tuple[Any, ...]) -> KeyPath:
    # Union branch tags look like "<object>"; they are not part of the user's document.
    # A "[key]" step marks an error in a map key itself; the path then names that entry.
    return tuple(p for p in loc if not (isinstance(p, str) and (p.startswith("<") or p == "[key]")))


def _to_problem(err: Any, path: KeyPath, root: Any) -> tuple[Problem | None, bool]:
    """The problem for one pydantic error, and whether to remove the parent object."""
    kind = err["type"]
    value = _get(root, path)
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else ""
        where = _where(path[:-1])
        candidates = allowed_keys(path[:-1])
        close = close_matches(key, candidates, n=1, cutoff=0.6)
        message = f"unknown key `{key}`{where}"
        data: dict[str, Any] = {}
        if key in candidates:
            # Valid in another form of this value (e.g. `path` next to `pod` in `target`).
            message = f"`{key}` cannot be combined with the other keys{where}"
        elif close:
            message += f"; did you mean `{close[0]}`?"
            data["replaceKey"] = close[0]
        elif candidates and len(candidates) <= 12:
            message += "; allowed keys: " + ", ".join(f"`{c}`" for c in candidates)
        return Problem(path, message, "unknown-key", on_key=True, data=data), False
    if kind == "invalid_key" or "[key]" in err["loc"]:
        bad_key = path[-1] if path else None
        return (
            Problem(
                path,
                f"keys must be strings, got {describe_value(bad_key)}",
                "wrong-type",
                on_key=True,
            ),
            False,
        )
    if kind == "missing":
        if path and isinstance(path[-1], int):
            return (
                Problem(path[:-1], "expected a pair of two ports, e.g. `[8080, 80]`", "wrong-type"),
                True,
            )
        key = str(path[-1]) if path else ""
        return (
            Problem(
                path[:-1],
                f"missing required key `{key}`{_where(path[:-1])}",
                "missing-key",
                data={"missingKey": key},
            ),
            True,
        )
    if kind == "too_long" or kind == "too_short":
        return Problem(path, "expected a pair of two ports, e.g. `[8080, 80]`", "wrong-type"), False
    if kind == "literal_error":
        return _invalid_value(path, value), False
    if kind in _RANGE_ERRORS:
        return Problem(path, _range_message(value, kind, ctx, path), "out-of-range"), False
    if kind == "value_error":
        message = str(err.get("msg", "invalid value"))
        message = message.removeprefix("Value error, ")
        code = "invalid-target-path" if path[:1] == ("target",) else "invalid-value"
        return Problem(path, message, code), False
    if kind in _TYPE_ERRORS or kind.endswith("_type"):
        tp = type_at(path)
        expected = expected_text(tp) if tp is not None else "a different value"
        enum = enum_values_of(tp) if tp is not None else []
        if isinstance(value, str) and enum:
            return _invalid_value(path, value), False
        return (
            Problem(path, f"expected {expected}, got {describe_value(value)}", "wrong-type"),
            False,
        )
    return Problem(path, str(err.get("msg", "invalid value")), "invalid-value"), False


def _invalid_value(path: KeyPath, value: Any) -> Problem:
    tp = type_at(path)
    allowed = enum_values_of(tp) if tp is not None else []
    expected = expected_text(tp) if tp is not None else "a different value"
    message = f"invalid value {_short(value)}: expected {expected}"
    data: dict[str, Any] = {"allowed": allowed}
    if isinstance(value, str):
        close = close_matches(value, allowed, n=1, cutoff=0.6) or [
            a for a in allowed if a.lower() == value.lower()
        ]
        if close:
            message += f"; did you mean `{close[0]}`?"
            data["replaceValue"] = close[0]
    return Problem(path, message, "invalid-value", data=data)


def _bound_text(bound: int) -> str:
    for exp in (64, 63):  # 20-digit bounds are easier to read as powers
        if bound == 2**exp - 1:
            return f"2^{exp}-1"
        if bound == -(2**exp):
            return f"-2^{exp}"
    return str(bound)


def _range_message(value: Any, kind: str, ctx: Mapping[str, Any], path: KeyPath) -> str:
    """Names the field's whole range (its Rust integer type, e.g. u16 is 0..65535)."""
    low, high = integer_bounds(path)
    if low is not None and high is not None:
        return (
            f"{_short(value)} is out of range: must be within "
            f"{_bound_text(low)}..{_bound_text(high)}"
        )
    bound = next(iter(ctx.values()), None)
    if kind in ("less_than_equal", "less_than") and bound in _UNSIGNED_MAXIMA:
        return f"{_short(value)} is out of range: must be within {_UNSIGNED_MAXIMA[bound]}"
    if kind in ("greater_than_equal", "greater_than") and bound == 0:
        return f"{_short(value)} is out of range: must not be negative"
    word = {
        "less_than_equal": "at most",
        "less_than": "less than",
        "greater_than_equal": "at least",
        "greater_than": "greater than",
    }[kind]
    return f"{_short(value)} is out of range: must be {word} {bound}"


def _where(path: KeyPath) -> str:
    return f" in `{'.'.join(str(p) for p in path)}`" if path else ""


def describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {_short(value)}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _short(value: Any) -> str:
    if isinstance(value, LargeNumber):
        return repr(value)
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- target


def _is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _target_problems(root: Mapping[str, Any]) -> list[Problem]:
    """Grammar errors and operator warnings for the `target` value, in any form."""
    if "target" not in root:
        return []
    target = root["target"]
    located: list[tuple[KeyPath, Any]] = []
    if isinstance(target, str):
        located.append((("target",), target))
    elif isinstance(target, Mapping):
        if any(k in OBJECT_KEYS for k in target):
            located.append((("target",), target))
        elif "path" in target:
            located.append((("target", "path"), target["path"]))
    problems: list[Problem] = []
    for path, value in located:
        try:
            if isinstance(value, str):
                if _is_template(value):
                    continue
                parsed = parse_target_path(value)
            elif isinstance(value, Mapping):
                parsed = target_from_object(value)
            else:
                continue
        except TargetPathError as exc:
            # Object-form errors were already reported by the model.
            if isinstance(value, str):
                problems.append(
                    Problem(path, exc.message, "invalid-target-path", data={"reason": exc.code})
                )
            continue
        if parsed.requires_operator and root.get("operator") is not True:
            # `mirrord/config/src/target.rs` `requires_operator` names these kinds;
            # `LayerConfig::verify` (`mirrord/config/src/lib.rs`) fails with
            # `TargetRequiresOperator` when `operator` is false. Unset, mirrord tries the
            # operator and fails only if none is installed: a warning.
            off = root.get("operator") is False
            problems.append(
                Problem(
                    path,
                    f"`{parsed.kind}` targets need the mirrord operator"
                    + (
                        ", but `operator` is false"
                        if off
                        else "; without it only pod, deployment, rollout and targetless work"
                    ),
                    "requires-operator",
                    severity="error" if off else "warning",
                    data={"kind": parsed.kind},
                )
            )
    return problems


# ---------------------------------------------------------------------- tree helpers


def _plain(value: Any) -> Any:
    """A deep copy made of dicts and lists, so pruning never touches the caller's data."""
    kind = type(value)
    if kind is dict or isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    return value  # scalars are immutable


def _get(root: Any, path: KeyPath) -> Any:
    node = root
    for key in path:
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list | tuple) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node


def _remove(root: Any, path: KeyPath) -> bool:
    parent = _get(root, path[:-1]) if len(path) > 1 else root
    key = path[-1]
    if isinstance(parent, dict) and key in parent:
        del parent[key]
        return True
    if isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent):
        del parent[key]
        return True
    return False


def _caused_by(path: KeyPath, pruned: KeyPath) -> bool:
    """Whether a later-round error at `path` follows from removing `pruned`."""
    scope = pruned[:-1] if len(pruned) > 1 else pruned
    return path[: len(scope)] == scope


def _overlaps(a: KeyPath, b: KeyPath) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _sort_key(path: KeyPath) -> tuple[Any, ...]:
    # Deepest first, and higher list indices first, so removals do not shift others.
    return (len(path), tuple((1, p) if isinstance(p, int) else (0, str(p)) for p in path))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[KeyPath, str, str]] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.path, p.code, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
