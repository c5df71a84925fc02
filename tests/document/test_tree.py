"""Position-keeping parses of all three formats."""

import pytest

from mirrord_ide.document.lines import LineIndex, apply_change
from mirrord_ide.document.parse import parse_document
from mirrord_ide.textrange import Position, Range

JSON = """{
  "target":             {"path": "pod/é😀", "namespace": "default"},
  "feature": {"network": {"incoming": {"mode": "steal"}}, "env": true},
  "agent": {"ttl": 30, "labels": {"a": "b"}}
}
"""

TOML = """target = "pod/x"
feature.env = true

[feature.network.incoming]
mode = 'steal'
ports = [80, 8080]

[agent]
ttl = 30
"""

YAML = """# comment
target:
  path: "pod/é😀"
  namespace: default
feature:
  network: {incoming: {mode: steal}}
  env:
    include:
      - A
      - 'B'
agent:
  ttl: 30
"""


def test_json_value_and_ranges() -> None:
    doc = parse_document(JSON, "json")
    assert doc.syntax_errors == []
    assert doc.value["target"] == {"path": "pod/é😀", "namespace": "default"}
    assert doc.value["feature"]["network"]["incoming"]["mode"] == "steal"
    # "pod/é😀" is 9 UTF-16 units with its quotes (the emoji counts twice).
    line = JSON.splitlines()[1]
    start = line.index('"pod/')
    assert doc.range_for(("target", "path")) == Range.of(1, start, 1, start + 9)
    assert doc.range_for(("agent", "ttl"), on_key=True) == Range.of(3, 12, 3, 17)


def test_missing_path_points_at_nearest_key() -> None:
    doc = parse_document(JSON, "json")
    assert doc.range_for(("agent", "nope", "deeper")) == doc.range_for(("agent",), on_key=True)


def test_toml_tables_and_dotted_keys() -> None:
    doc = parse_document(TOML, "toml")
    assert doc.syntax_errors == []
    assert doc.value == {
        "target": "pod/x",
        "feature": {"env": True, "network": {"incoming": {"mode": "steal", "ports": [80, 8080]}}},
        "agent": {"ttl": 30},
    }
    assert doc.range_for(("feature", "network", "incoming", "mode")) == Range.of(4, 7, 4, 14)
    assert doc.range_for(("feature", "network", "incoming", "ports", 1)) == Range.of(5, 13, 5, 17)
    # The table's key is its name in the header.
    assert doc.range_for(("agent",), on_key=True) == Range.of(7, 1, 7, 6)


def test_toml_array_of_tables() -> None:
    doc = parse_document('[[a.b]]\nx = 1\n[[a.b]]\nx = "two"\n', "toml")
    assert doc.value == {"a": {"b": [{"x": 1}, {"x": "two"}]}}
    assert doc.range_for(("a", "b", 1, "x")) == Range.of(3, 4, 3, 9)


def test_yaml_block_and_flow() -> None:
    doc = parse_document(YAML, "yaml")
    assert doc.syntax_errors == []
    assert doc.value["target"]["path"] == "pod/é😀"
    assert doc.value["feature"]["network"] == {"incoming": {"mode": "steal"}}
    assert doc.value["feature"]["env"]["include"] == ["A", "B"]
    assert doc.value["agent"]["ttl"] == 30
    assert doc.range_for(("feature", "network", "incoming", "mode")) == Range.of(5, 29, 5, 34)
    assert doc.range_for(("feature", "env", "include", 1)) == Range.of(9, 8, 9, 11)


@pytest.mark.parametrize(
    ("fmt", "text", "error_line"),
    [
        ("json", '{"a": 1,\n "b": ,\n "c": 3}', 1),
        ("toml", "a = 1\nb = \nc = 3\n", 1),
        ("yaml", "a: 1\nb: [\nc: 3\n", 1),
    ],
)
def test_syntax_error_keeps_the_rest(fmt: str, text: str, error_line: int) -> None:
    doc = parse_document(text, fmt)  # type: ignore[arg-type]
    assert doc.syntax_errors
    assert doc.syntax_errors[0].range.start.line == error_line
    assert doc.value.get("a") == 1
    assert doc.value.get("c") == 3
    assert "b" not in doc.value or doc.value["b"] is None


def test_trailing_commas_and_comments_are_errors_but_the_rest_is_read() -> None:
    # mirrord reads `.json` with serde_json: no comments, no trailing commas.
    text = '{"a": [1, 2,], /* c */ "b": {"c": 1,}, // x\n}'
    doc = parse_document(text, "json")
    found = [
        (text[e.range.start.character : e.range.end.character], e.message)
        for e in doc.syntax_errors
    ]
    assert [t for t, _ in found] == [",", "/* c */", ",", ",", "// x"]
    assert all("serde_json" in m for _, m in found)
    assert [m.split(":")[0] for _, m in found] == [
        "trailing comma",
        "comments are not allowed in JSON",
        "trailing comma",
        "trailing comma",
        "comments are not allowed in JSON",
    ]
    assert doc.value == {"a": [1, 2], "b": {"c": 1}}


def test_utf16_columns_of_error_after_emoji() -> None:
    text = '{"name": "😀é", "x": }'
    doc = parse_document(text, "json")
    # `{"name": "😀é", "x": ` is 20 UTF-16 units (the emoji counts twice).
    assert doc.syntax_errors[0].range.start == Position(0, 20)


def test_duplicate_keys_are_reported() -> None:
    doc = parse_document('{"a": 1, "a": 2}', "json")
    assert doc.value == {"a": 2}
    assert [d.path for d in doc.duplicates] == [("a",)]


def test_empty_documents() -> None:
    assert parse_document("", "json").syntax_errors
    assert parse_document("", "toml").value == {}
    assert parse_document("# only a comment\n", "yaml").value == {}


def test_line_index_round_trip() -> None:
    text = "ab😀c\né\n"
    index = LineIndex(text)
    assert index.from_offset(text.index("c")) == Position(0, 4)
    assert index.to_offset(Position(0, 4)) == text.index("c")
    assert index.to_offset(Position(1, 1)) == text.index("é") + 1
    assert index.to_offset(Position(9, 0)) == len(text)


def test_apply_change_is_utf16_aware() -> None:
    text = '{"a": "😀x"}'
    changed = apply_change(text, Range.of(0, 9, 0, 10), "y")
    assert changed == '{"a": "😀y"}'
    assert apply_change(text, None, "{}") == "{}"
