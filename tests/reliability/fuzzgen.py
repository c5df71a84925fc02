"""Inputs for fuzzing the config path: hypothesis strategies for config-shaped
values, writers for JSON/TOML/YAML, byte-level mutators, and extreme documents
(deep nesting, huge strings, invalid UTF-8)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from mirrord_ide.config.schema_info import allowed_keys

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "mirrord"
FORMATS = ("json", "toml", "yaml")


def known_keys(depth: int = 4) -> list[str]:
    """Every key the config model knows, down to `depth` levels."""
    found: set[str] = set()
    frontier: list[tuple[str, ...]] = [()]
    for _ in range(depth):
        nxt: list[tuple[str, ...]] = []
        for path in frontier:
            for key in allowed_keys(path):
                if key not in found:
                    found.add(key)
                nxt.append((*path, key))
        frontier = nxt
    return sorted(found)


TARGET_WORDS = [
    "targetless",
    "pod/web-1",
    "pod/web-1/container/app",
    "deployment/api",
    "deployment/api/container/api",
    "rollout/x",
    "statefulset/redis",
    "cronjob/nightly",
    "job/once",
    "pod/",
    "deployment//container/",
    "unknown/kind",
]


def config_values() -> st.SearchStrategy[Any]:
    keys = st.sampled_from(known_keys()) | st.text(max_size=12)
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40)
        | st.sampled_from(TARGET_WORDS)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=6),
        max_leaves=8,
    )


def config_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Top-level objects whose keys are mostly real ones."""
    return st.dictionaries(
        st.sampled_from(known_keys(1)) | st.text(max_size=8), config_values(), max_size=5
    )


# -- writers ---------------------------------------------------------------------------


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False)


def to_yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: Any) -> str:
    text = str(key)
    return text if _BARE_KEY.match(text) else json.dumps(text)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = (f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{" + ", ".join(items) + "}"
    return '""'


def to_toml(value: Any, prefix: tuple[str, ...] = ()) -> str:
    """A small TOML writer: scalars and lists inline, nested objects as tables.
    Not every generated value is representable; the output is fuzz input anyway."""
    if not isinstance(value, dict):
        return f"value = {_toml_value(value)}\n"
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, dict) and item:
            tables.append((str(key), item))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(item)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, table in tables:
        path = (*prefix, key)
        out += "\n[" + ".".join(_toml_key(p) for p in path) + "]\n" + to_toml(table, path)
    return out


WRITERS: dict[str, Callable[[Any], str]] = {"json": to_json, "toml": to_toml, "yaml": to_yaml}


# -- seeds -----------------------------------------------------------------------------

OWN_SEEDS: list[dict[str, Any]] = [
    {
        "target": {"path": "deployment/api/container/api", "namespace": "shop"},
        "feature": {
            "network": {
                "incoming": {"mode": "steal", "http_filter": {"header_filter": "x-user: me"}},
                "outgoing": {"tcp": True, "udp": False, "filter": {"local": [":53"]}},
                "dns": True,
            },
            "fs": {"mode": "read", "read_write": [".+\\.json"]},
            "env": {"include": "DB_*;API_*", "override": {"LOG_LEVEL": "debug"}},
        },
        "agent": {"namespace": "agents", "ttl": 30, "log_level": "info"},
    },
    {"target": "pod/web-7d9f-x2/container/app", "accept_invalid_certificates": True},
    {"target": "targetless", "feature": {"network": {"incoming": "mirror"}}},
    {
        "kube_context": "dev",
        "operator": False,
        "feature": {"fs": "local", "hostname": True, "env": {"exclude": ["SECRET", "TOKEN"]}},
    },
]


def reference_seeds() -> list[tuple[str, bytes]]:
    """mirrord's own configs (test data outside the repository), when present."""
    out: list[tuple[str, bytes]] = []
    for folder in ("configs", "examples"):
        directory = REFERENCE / folder
        if directory.is_dir():
            for path in sorted(directory.iterdir()):
                fmt = {".json": "json", ".toml": "toml"}.get(path.suffix)
                if fmt:
                    out.append((fmt, path.read_bytes()))
    return out


def own_seeds() -> list[tuple[str, bytes]]:
    return [(fmt, WRITERS[fmt](seed).encode()) for seed in OWN_SEEDS for fmt in FORMATS]


# -- byte-level mutation -----------------------------------------------------------------

INTERESTING = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x98",
    b"\xef\xbb\xbf",
    "\U0001f600".encode(),
    b"\r",
    b"\r\n",
    b"\t",
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b":",
    b",",
    b"=",
    b"- ",
    b"&a",
    b"*a",
    b"!!python/object:os.system",
    b"'''",
    b'"""',
    b"\n[[x]]\n",
    b"\n---\n",
    b"1e999",
    b"-0",
    b"99999999999999999999999",
]


def mutate(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    """One to four random byte-level edits (flip, insert, delete, duplicate, splice)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        pos = rng.randint(0, len(out))
        if op == 0 and out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[pos:pos] = rng.choice(INTERESTING)
        elif op == 2 and out:
            end = min(len(out), pos + rng.randint(1, 16))
            del out[pos:end]
        elif op == 3 and out:
            start = rng.randrange(len(out))
            chunk = out[start : start + rng.randint(1, 64)]
            out[pos:pos] = chunk * rng.randint(1, 8)
        elif op == 4:
            del out[pos:]
        elif op == 5 and corpus:
            other = rng.choice(corpus)
            cut = rng.randint(0, len(other))
            out[pos:] = other[cut:]
        else:
            out[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(out)


def decode(data: bytes, rng: random.Random) -> str:
    """Text an editor could send for these bytes: invalid UTF-8 replaced (what
    editors show), kept as lone surrogates (what a UTF-16 editor can hold), or
    read as Latin-1."""
    way = rng.randrange(3)
    if way == 0:
        return data.decode("utf-8", "replace")
    if way == 1:
        return data.decode("utf-8", "surrogateescape")
    return data.decode("latin-1")


# -- extremes --------------------------------------------------------------------------


def extreme_documents() -> Iterator[tuple[str, str, str]]:
    """(name, format, text) for inputs at the edges: nesting, size, encoding."""
    depth = 5000
    yield "deep-json-arrays", "json", '{"target": ' + "[" * depth + "]" * depth + "}"
    yield "deep-json-objects", "json", '{"a": ' * depth + "1" + "}" * depth
    yield "deep-json-unclosed", "json", '{"feature": ' + '{"x": [' * depth
    yield "deep-yaml-flow", "yaml", "target: " + "[" * depth + "]" * depth + "\n"
    yield (
        "deep-yaml-block",
        "yaml",
        "".join(" " * i + f"k{i}:\n" for i in range(500)) + " " * 500 + "v: 1\n",
    )
    yield "deep-toml-inline", "toml", "target = " + "{a = " * 500 + "1" + "}" * 500 + "\n"
    yield "deep-toml-arrays", "toml", "target = " + "[" * depth + "]" * depth + "\n"
    yield "deep-toml-tables", "toml", "[" + ".".join(f"k{i}" for i in range(2000)) + "]\nv = 1\n"
    huge = "x" * 2_000_000
    yield "huge-string-json", "json", json.dumps({"target": huge})
    yield "huge-key-json", "json", json.dumps({huge[:500_000]: 1})
    yield "huge-string-yaml", "yaml", f"target: {huge}\n"
    yield "huge-string-toml", "toml", f'target = "{huge}"\n'
    yield "many-keys-json", "json", json.dumps({f"key{i}": i for i in range(1000)})
    yield "many-lines-yaml", "yaml", "\n".join(f"k{i}: {i}" for i in range(1000)) + "\n"
    yield "long-line-unclosed", "json", '{"target": "' + "y" * 500_000
    yield "lone-surrogates", "json", '{"target": "\ud800\udfff\udc80", "\udbff": 1}'
    yield "nul-bytes", "json", '{"target":\x00 "pod/\x00a"}'
    yield "bom", "json", '\ufeff{"target": "targetless"}'
    yield "crlf", "yaml", "target:\r\n  path: pod/a\r\n  namespace: x\r\n"
    yield "only-cr", "toml", "[target]\rpath = 'pod/a'\r"
    yield "empty", "json", ""
    yield "whitespace", "yaml", " \n\t\n  "
    yield "emoji-keys", "json", '{"\U0001f600": {"\U0001f600": "\U0001f600" }, "target": 1}'
    yield "yaml-anchors-bomb", "yaml", _billion_laughs()
    yield "yaml-python-tag", "yaml", "target: !!python/object/apply:os.system ['true']\n"
    yield "yaml-multi-doc", "yaml", "target: a\n---\ntarget: b\n"
    yield "toml-dup-keys", "toml", "target = 'a'\ntarget = 'b'\n[feature]\n[feature]\n"
    yield "json-trailing", "json", '{"target": "a",}\n{"b": 1}\n]]]'
    yield "json-big-number", "json", '{"agent": {"ttl": ' + "9" * 5000 + "}}"
    yield "json-dup-keys", "json", '{"target": "a", "target": {"path": 1}, "target": null}'


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    lines.append(f"target: *{prev}")
    return "\n".join(lines) + "\n"
