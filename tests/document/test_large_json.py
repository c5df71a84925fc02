"""Large JSON documents: a 5,000-line config is analysed correctly, and the
lazily built tree of a clean document equals the exact walk's tree."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirrord_ide.document import json_tree
from mirrord_ide.document.analysis import analyze
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.parse import parse_document
from mirrord_ide.document.tree import Node, ParsedDocument
from mirrord_ide.document.ts_common import parse_tree
from mirrord_ide.textrange import Position, Range


def large_config(scale: int) -> dict[str, Any]:
    return {
        "target": {"path": "deployment/checkout/container/app", "namespace": "shop"},
        "agent": {"namespace": "mirrord", "ttl": 30},
        "feature": {
            "env": {
                "override": {f"SERVICE_{i}_URL": f"http://svc-{i}.shop/é" for i in range(scale)},
            },
            "network": {
                "incoming": {
                    "mode": "steal",
                    "http_filter": {
                        "any_of": [{"header": f"x-tenant-{i}: .+"} for i in range(scale // 4)],
                    },
                    "port_mapping": [[7000 + i, 17000 + i] for i in range(scale // 8)],
                    "ignore_ports": [9000 + i for i in range(scale // 4)],
                    "listen_ports": [[80, 70000]],  # out of range
                    "on_concurent_steal": "continue",  # misspelt
                },
            },
        },
    }


def _offset_range(lines: LineIndex, text: str, needle: str) -> Range:
    """The range of the only occurrence of `needle` in `text`."""
    at = text.index(needle)
    assert text.find(needle, at + 1) == -1, needle
    return lines.range_from_offsets(at, at + len(needle))


def _range_text(lines: LineIndex, rng: Range) -> str:
    return lines.text[lines.to_offset(rng.start) : lines.to_offset(rng.end)]


@pytest.mark.timeout(60)
def test_five_thousand_line_config_is_analysed_exactly() -> None:
    value = large_config(2000)
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    assert text.count("\n") >= 5000

    analysis = analyze(text, "json")
    lines = analysis.parsed.lines
    assert analysis.parsed.value == value
    assert analysis.parsed.syntax_errors == []
    by_code = {f.code: f for f in analysis.findings}
    assert set(by_code) == {"out-of-range", "unknown-key"}
    assert by_code["out-of-range"].key_path == (
        "feature",
        "network",
        "incoming",
        "listen_ports",
        0,
        1,
    )
    assert _range_text(lines, by_code["out-of-range"].range) == "70000"
    assert by_code["unknown-key"].range == _offset_range(lines, text, '"on_concurent_steal"')

    parsed = analysis.parsed
    override = ("feature", "env", "override")
    last = "SERVICE_1999_URL"
    assert parsed.range_for((*override, last)) == _offset_range(
        lines, text, '"http://svc-1999.shop/é"'
    )
    assert parsed.range_for((*override, last), on_key=True) == _offset_range(
        lines, text, f'"{last}"'
    )
    port = ("feature", "network", "incoming", "port_mapping", 249, 1)
    assert _range_text(lines, parsed.range_for(port)) == "17249"
    node = parsed.node_at(("feature", "network", "incoming", "http_filter", "any_of", 499))
    assert node is not None and node.value == {"header": "x-tenant-499: .+"}
    assert node.keys() == ["header"]


def _same_tree(a: Node | None, b: Node | None, where: str = "$") -> None:
    assert (a is None) == (b is None), where
    if a is None or b is None:
        return
    assert (a.kind, a.key, a.range, a.key_range) == (b.kind, b.key, b.range, b.key_range), where
    assert a.value == b.value or a.value != a.value, where  # NaN never equals itself
    assert len(a.children) == len(b.children), where
    for i, (x, y) in enumerate(zip(a.children, b.children, strict=True)):
        _same_tree(x, y, f"{where}/{x.key if x.key is not None else i}")


def _exact(text: str) -> ParsedDocument:
    return json_tree._parse_exact(text, parse_tree(text, "json"), LineIndex(text))


CLEAN_DOCUMENTS = [
    '{"a": 1}',
    '\n{"a":   [1, 2.5, -0, 1e3, true, false, null], "b": {"c": "d"}}',
    '{"é😀": "x\\u00e9\\ud83d\\ude00", "k": "tab\\there", "n": {"m": [[], {}]}}',
    '[{"a": 1}, {"a": 2}]',
    '"just a string"',
    "  42  ",
    '{\n  "url": "http://x/y", "re": "/\\\\/*",\n  "z": 1\n}',
]


@pytest.mark.parametrize("text", CLEAN_DOCUMENTS)
def test_lazy_tree_equals_exact_walk(text: str) -> None:
    lazy = parse_document(text, "json")
    exact = _exact(text)
    assert lazy.syntax_errors == exact.syntax_errors == []
    assert lazy.duplicates == exact.duplicates == []
    assert lazy.value == exact.value
    _same_tree(lazy.root, exact.root)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',  # duplicate: reported with its range
        '{"a": NaN}',
        '{"a": 1,}',  # trailing comma, accepted
        '{"a": 1} {"b": 2}',
        '{"a": 01}',
        "",
    ],
)
def test_documents_the_reader_refuses_take_the_exact_walk(text: str) -> None:
    parsed = parse_document(text, "json")
    exact = _exact(text)
    assert parsed.syntax_errors == exact.syntax_errors
    assert parsed.duplicates == exact.duplicates
    assert parsed.value == exact.value
    _same_tree(parsed.root, exact.root)


def test_duplicate_key_in_large_document_is_found() -> None:
    text = json.dumps(large_config(50), indent=2).replace('"ttl": 30', '"ttl": 30, "ttl": 31')
    parsed = parse_document(text, "json")
    assert [d.path for d in parsed.duplicates] == [("agent", "ttl")]
    assert parsed.value["agent"]["ttl"] == 31
    second = text.index('"ttl": 31')
    assert parsed.duplicates[0].key_range.start == parsed.lines.from_offset(second)


def test_lazy_children_keep_positions_after_unicode() -> None:
    text = '{"😀": {"b": [1, {"c": "é"}]}}'
    parsed = parse_document(text, "json")
    node = parsed.node_at(("😀", "b", 1, "c"))
    assert node is not None and node.value == "é"
    # 😀 is two UTF-16 code units: the string "é" starts at column 23.
    assert node.range == Range(Position(0, 23), Position(0, 26))


_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    # rounded: the grammar reads no `e+NN` exponent, which json.dumps writes for big floats
    | st.floats(-1e6, 1e6).map(lambda f: round(f, 3))
    | st.text(max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_values, indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_lazy_tree_equals_exact_walk_for_any_value(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    lazy = parse_document(text, "json")
    exact = _exact(text)
    assert lazy.syntax_errors == exact.syntax_errors
    assert lazy.value == exact.value == value
    _same_tree(lazy.root, exact.root)
