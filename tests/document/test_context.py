import pytest

from mirrord_ide.document.parse import parse_document

from .cursor import split_cursor

CASES = [
    # fmt, marked text, path, at_key, prefix
    ("json", '{"feature": {"ne|"}, "target": "x"}', ("feature",), True, "ne"),
    (
        "json",
        '{"feature": {"network": {"incoming": "st|"}}}',
        ("feature", "network", "incoming"),
        False,
        "st",
    ),
    ("json", '{"é😀": 1, "agent": {"ttl": 1, |}}', ("agent",), True, ""),
    ("json", '{ // "x": {\n "target": {"path": "po|d/x"}}', ("target", "path"), False, "po"),
    ("toml", "target = 1\nfeature.ne|", ("feature",), True, "ne"),
    (
        "toml",
        '[feature.network]\nincoming = { mode = "st|" }',
        ("feature", "network", "incoming", "mode"),
        False,
        "st",
    ),
    ("toml", "[feature.ne|]", ("feature",), True, "ne"),
    ("toml", "[agent]\nttl = 3\n|", ("agent",), True, ""),
    ("yaml", "target:\n  pa|", ("target",), True, "pa"),
    (
        "yaml",
        "feature:\n  network:\n    incoming:\n      mode: st|",
        ("feature", "network", "incoming", "mode"),
        False,
        "st",
    ),
    (
        "yaml",
        "feature:\n  network: {incoming: {mode: |}}",
        ("feature", "network", "incoming", "mode"),
        False,
        "",
    ),
    ("yaml", "x:\n  - name: a\n  - name: b\n    va|", ("x", 1), True, "va"),
    ("yaml", 'é😀: 1\ntarget:\n  "pa|"', ("target",), True, "pa"),
]


@pytest.mark.parametrize(("fmt", "marked", "path", "at_key", "prefix"), CASES)
def test_context(fmt: str, marked: str, path: tuple, at_key: bool, prefix: str) -> None:
    text, pos = split_cursor(marked)
    ctx = parse_document(text, fmt).context_at(pos)  # type: ignore[arg-type]
    assert ctx.path == path
    assert ctx.at_key is at_key
    assert ctx.at_value is (not at_key)
    assert ctx.prefix == prefix
    assert ctx.word_range.start <= pos <= ctx.word_range.end


def test_present_keys_exclude_the_word_being_typed() -> None:
    text, pos = split_cursor('{"agent": {"ttl": 1, "na|", "image": "x"}}')
    ctx = parse_document(text, "json").context_at(pos)
    assert ctx.present_keys == {"ttl", "image"}


def test_quoted_word_range_includes_quotes() -> None:
    text, pos = split_cursor('{"agent": {"na|"}}')
    ctx = parse_document(text, "json").context_at(pos)
    assert ctx.quoted
    assert (ctx.word_range.start.character, ctx.word_range.end.character) == (11, 15)


def test_no_context_in_comments() -> None:
    text, pos = split_cursor('{ // "agent|"\n}')
    ctx = parse_document(text, "json").context_at(pos)
    assert not ctx.at_key and not ctx.at_value
