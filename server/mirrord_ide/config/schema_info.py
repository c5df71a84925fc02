"""What the config model says about a key: for completion, hover and messages.

Everything here is read from the pydantic models in `model.py`, so there is one
source of truth for keys, types, defaults and descriptions. Paths are key paths as in
`Problem.path`; an int step indexes an array, any other string step names a map entry.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo as PydanticField
from pydantic_core import PydanticUndefined

from .model import MirrordConfig
from .problems import KeyPath

ValueKind = Literal["object", "string", "boolean", "integer", "number", "array", "null"]

_KIND_ORDER: tuple[ValueKind, ...] = (
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "object",
    "null",
)


@dataclass(frozen=True)
class FieldInfo:
    name: str
    description: str
    default: Any = None  # JSON-able; None when there is none (or it is an object)
    default_repr: str | None = None  # the default as the user would write it
    value_kinds: frozenset[str] = frozenset()
    enum_values: list[str] = field(default_factory=list)
    snippet: str | None = None  # LSP snippet for the value
    deprecated: bool = False


# ------------------------------------------------------------------ type unwrapping


def _strip_annotated(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def options(tp: Any) -> list[Any]:
    """The alternatives of a (possibly nested, annotated, optional) union."""
    tp = _strip_annotated(tp)
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in get_args(tp):
            out.extend(options(arg))
        return out
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def models_in(tp: Any) -> list[type[BaseModel]]:
    return [o for o in options(tp) if _is_model(o)]


def kinds_of(tp: Any) -> set[str]:
    kinds: set[str] = set()
    for opt in options(tp):
        origin = get_origin(opt)
        if opt is type(None):
            kinds.add("null")
        elif origin is Literal:
            for v in get_args(opt):
                kinds.add(_value_kind(v))
        elif opt is bool:
            kinds.add("boolean")
        elif opt is int:
            kinds.add("integer")
        elif opt is float:
            kinds.add("number")
        elif opt is str:
            kinds.add("string")
        elif _is_model(opt) or origin is dict or opt is dict:
            kinds.add("object")
        elif origin in (list, tuple) or opt in (list, tuple):
            kinds.add("array")
        elif opt is Any:
            kinds.update(_KIND_ORDER)
    return kinds


def enum_values_of(tp: Any) -> list[str]:
    values: list[str] = []
    for opt in options(tp):
        if get_origin(opt) is Literal:
            values.extend(str(v) for v in get_args(opt))
    return values


def _value_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple):
        return "array"
    return "object"


_KIND_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "an array",
    "object": "an object",
}


def expected_text(tp: Any) -> str:
    """The accepted values in user words, e.g. "`mirror`, `off`, a boolean or an object"."""
    enum = enum_values_of(tp)
    enum_kinds = {"string"} if enum else set()
    # A string kind that only comes from the enum is already spelled out.
    plain_strings = any(o is str for o in options(tp))
    parts = [f"`{v}`" for v in enum]
    for kind in _KIND_ORDER:
        if kind == "null" or kind not in kinds_of(tp):
            continue
        if kind in enum_kinds and not plain_strings:
            continue
        parts.append(_KIND_WORDS[kind])
    if not parts:
        return "a different value"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


# ------------------------------------------------------------------------ path walk


def _model_fields(model: type[BaseModel]) -> Iterator[tuple[str, PydanticField]]:
    for name, f in model.model_fields.items():
        yield (f.alias or name), f


def _field_named(model: type[BaseModel], key: str) -> PydanticField | None:
    for name, f in _model_fields(model):
        if name == key:
            return f
    return None


def _field_type(f: PydanticField) -> Any:
    return f.annotation


def _step(tp: Any, key: str | int) -> tuple[Any, PydanticField | None] | None:
    """The type one step below `tp`, and the model field when the step is a key."""
    for opt in options(tp):
        origin = get_origin(opt)
        if isinstance(key, str) and _is_model(opt):
            f = _field_named(opt, key)
            if f is not None:
                return _field_type(f), f
        elif isinstance(key, str) and origin is dict:
            return get_args(opt)[1], None
        elif isinstance(key, int) and origin is list:
            return get_args(opt)[0], None
        elif isinstance(key, int) and origin is tuple:
            args = get_args(opt)
            if args and args[-1] is Ellipsis:
                return args[0], None
            if 0 <= key < len(args):
                return args[key], None
    return None


@lru_cache(maxsize=2048)
def _resolve(path: KeyPath) -> tuple[Any, PydanticField | None] | None:
    tp: Any = MirrordConfig
    f: PydanticField | None = None
    for key in path:
        stepped = _step(tp, key)
        if stepped is None:
            return None
        tp, f = stepped
    return tp, f


def type_at(path: KeyPath) -> Any | None:
    """The model type of the value at `path`, or None when the path is not in the model."""
    found = _resolve(tuple(path))
    return None if found is None else found[0]


# ----------------------------------------------------------------------- field info


def _json_default(f: PydanticField) -> tuple[Any, str | None]:
    if f.default_factory is not None or f.default is PydanticUndefined:
        return None, None
    value = f.default
    if isinstance(value, BaseModel):
        return None, None
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        return None, None
    if value is None:
        return None, None
    return value, text


def _is_deprecated(f: PydanticField) -> bool:
    extra = f.json_schema_extra
    return bool(f.deprecated) or (isinstance(extra, dict) and bool(extra.get("deprecated")))


def _snippet(tp: Any, default: Any) -> str | None:
    kinds = kinds_of(tp)
    enum = enum_values_of(tp)
    models = models_in(tp)
    if models:
        model = models[0]
        for name, f in _model_fields(model):
            sub_enum = enum_values_of(_field_type(f))
            if name == "mode" and sub_enum:
                return '{\n\t"mode": "${1|' + ",".join(sub_enum) + '|}"\n}'
        required = [name for name, f in _model_fields(model) if f.is_required()]
        if required:
            body = ",\n".join(f'\t"{n}": ${i + 1}' for i, n in enumerate(required))
            return "{\n" + body + "\n}"
        return "{\n\t$0\n}"
    if "object" in kinds:
        return "{\n\t$0\n}"
    if enum:
        return '"${1|' + ",".join(enum) + '|}"'
    if "boolean" in kinds:
        first, second = ("false", "true") if default is False else ("true", "false")
        return "${1|" + first + "," + second + "|}"
    if "array" in kinds:
        return "[$1]"
    if "string" in kinds:
        return '"$1"'
    if "integer" in kinds or "number" in kinds:
        return "${1:" + (str(default) if default is not None else "0") + "}"
    return None


def _info(name: str, tp: Any, f: PydanticField | None) -> FieldInfo:
    default, default_repr = _json_default(f) if f is not None else (None, None)
    description = ""
    if f is not None and f.description:
        description = f.description
    elif models_in(tp) and models_in(tp)[0].__doc__:
        description = (models_in(tp)[0].__doc__ or "").strip()
    return FieldInfo(
        name=name,
        description=description,
        default=default,
        default_repr=default_repr,
        value_kinds=frozenset(kinds_of(tp)),
        enum_values=enum_values_of(tp),
        snippet=_snippet(tp, default),
        deprecated=f is not None and _is_deprecated(f),
    )


def field_at(path: KeyPath) -> FieldInfo | None:
    """The key at the end of `path` (e.g. ("feature", "network", "incoming"))."""
    path = tuple(path)
    if not path:
        return None
    found = _resolve(path)
    if found is None:
        return None
    tp, f = found
    return _info(str(path[-1]), tp, f)


@lru_cache(maxsize=512)
def _fields_under(path: KeyPath) -> tuple[FieldInfo, ...]:
    tp = MirrordConfig if not path else type_at(path)
    if tp is None:
        return ()
    out: list[FieldInfo] = []
    seen: set[str] = set()
    for model in models_in(tp):
        for name, f in _model_fields(model):
            if name not in seen:
                seen.add(name)
                out.append(_info(name, _field_type(f), f))
    return tuple(out)


def fields_under(path: KeyPath) -> list[FieldInfo]:
    """The keys allowed in the object at `path` (() is the root), over every object form."""
    return list(_fields_under(tuple(path)))


def allowed_keys(path: KeyPath) -> list[str]:
    return [f.name for f in fields_under(path)]


def _bounds_in(items: Iterable[Any]) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    for item in items:
        for meta in getattr(item, "metadata", None) or [item]:
            low = getattr(meta, "ge", low)
            high = getattr(meta, "le", high)
    return low, high


def integer_bounds(path: KeyPath) -> tuple[int | None, int | None]:
    """The inclusive range of an integer field at `path` (from its Rust type, e.g. u16
    is 0..65535), as far as the model states it."""
    found = _resolve(tuple(path))
    if found is None:
        return None, None
    tp, f = found
    metadata: list[Any] = list(f.metadata) if f is not None else []
    stack = [tp]
    while stack:
        item = stack.pop()
        if get_origin(item) is Annotated:
            metadata.extend(get_args(item)[1:])
            stack.append(get_args(item)[0])
        elif get_origin(item) in (Union, types.UnionType):
            stack.extend(get_args(item))
    return _bounds_in(metadata)
