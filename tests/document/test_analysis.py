"""analyze(): exact ranges for model problems, syntax errors plus validation,
and never an exception on any input."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirrord_ide.document.analysis import analyze
from mirrord_ide.textrange import Range


def test_problems_get_exact_ranges_after_non_ascii_text() -> None:
    text = '{"feature": {"env": {"override": {"GREETING": "héllo 😀"}}},\n "agent": {"ttl": -1}}'
    analysis = analyze(text, "json")
    ttl = [f for f in analysis.findings if f.path == "agent.ttl"]
    assert ttl and ttl[0].range == Range.of(1, 18, 1, 20)


def test_syntax_error_and_validation_together() -> None:
    text = 'target = "pod/x/container"\nbroken = \n[feature.network.incoming]\nmod = "steal"\n'
    analysis = analyze(text, "toml")
    codes = {f.code for f in analysis.findings}
    assert "syntax-error" in codes
    assert "unknown-key" in codes
    assert "invalid-target-path" in codes
    unknown = next(f for f in analysis.findings if f.code == "unknown-key")
    assert unknown.range == Range.of(3, 0, 3, 3)
    assert unknown.data.get("replaceKey") == "mode"


def test_yaml_error_after_emoji_has_utf16_column() -> None:
    text = 'feature:\n  env:\n    override: {K: "😀", J: }\nagent: {ttl: [}\n'
    analysis = analyze(text, "yaml")
    syntax = [f for f in analysis.findings if f.code == "syntax-error"]
    assert syntax
    assert all(f.range.start.line == 3 for f in syntax)


def test_multiline_wrong_type_underlines_the_key() -> None:
    text = "agent:\n  ttl:\n    a: 1\n"
    analysis = analyze(text, "yaml")
    ttl = next(f for f in analysis.findings if f.path == "agent.ttl")
    assert ttl.range == Range.of(1, 2, 1, 5)


def test_duplicate_key_is_a_finding() -> None:
    analysis = analyze('{"operator": true, "operator": false}', "json")
    assert [f.code for f in analysis.findings if f.severity != "hint"] == ["duplicate-key"]


def test_clean_configs_have_no_findings() -> None:
    assert analyze('{"target": "targetless"}', "json").findings == []
    assert analyze('target = "deployment/web"\n', "toml").findings == []
    assert (
        analyze("target:\n  path: pod/x/container/app\n  namespace: dev\n", "yaml").findings == []
    )


_ALPHABET = string.printable + "é😀{}[]:,\"'#=-\n"
_FRAGMENTS = st.sampled_from(
    [
        '{"',
        '"target"',
        ":",
        '"pod/x"',
        ",",
        "}",
        "]",
        "[",
        "feature",
        "= ",
        "\n",
        "  - ",
        "[feature.network]",
        "mode",
        '"steal"',
        "//",
        "/*",
        "*/",
        "😀",
        "true",
        "null",
        "1e999",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["json", "toml", "yaml"]),
    text=st.one_of(
        st.text(alphabet=_ALPHABET, max_size=200), st.lists(_FRAGMENTS, max_size=40).map("".join)
    ),
)
def test_analyze_never_raises(fmt: str, text: str) -> None:
    analysis = analyze(text, fmt)  # type: ignore[arg-type]
    for finding in analysis.findings:
        assert finding.range.start <= finding.range.end
    # The assists are total functions too.
    from mirrord_ide.document.assist import completions, hover, symbols
    from mirrord_ide.textrange import Position

    lines = text.split("\n")
    pos = Position(len(lines) - 1, len(lines[-1]))
    completions(analysis.parsed, pos)
    hover(analysis.parsed, pos)
    symbols(analysis.parsed)
