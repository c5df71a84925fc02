"""Tera rendering before parsing, as mirrord does: values, failures, and positions
that still point into the file as written."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from mirrord_ide.document.analysis import Analysis, analyze
from mirrord_ide.document.assist import completions, hover
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.lines import LineIndex
from mirrord_ide.document.template import EDITOR_KEY, TemplateContext, render, render_value
from mirrord_ide.textrange import Range

from .cursor import split_cursor

FIXTURES = Path(__file__).parent / "fixtures"
FORMATS: tuple[ConfigFormat, ...] = ("json", "toml", "yaml")


def rendered(text: str, **env: str) -> str:
    result = render(text, TemplateContext.from_environment(env))
    assert result is not None
    assert result.problems == [], result.problems
    return result.text


def span_of(text: str, needle: str) -> Range:
    start = text.index(needle)
    return LineIndex(text).range_from_offsets(start, start + len(needle))


def errors(analysis: Analysis) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in analysis.errors]


# ------------------------------------------------------------------------ rendering


def test_text_without_tags_is_not_rendered() -> None:
    assert render('{"agent": {"ttl": 30}}', TemplateContext.from_environment({})) is None


@pytest.mark.parametrize(
    ("template", "env", "expected"),
    [
        ('{{ get_env(name="T", default="pod/a") }}', {}, "pod/a"),
        ('{{ get_env(name="T", default="pod/a") }}', {"T": "pod/b"}, "pod/b"),
        ("{{ get_env(name='T', default=8080) }}", {}, "8080"),
        ("{{ get_env(name='T', default=false) }}", {}, "false"),
        ("{{ get_env(name='T', default=1.0) }}", {}, "1"),  # as Rust prints an f64
        ('{{ "literal" }}', {}, "literal"),
        ("{{ `back` ~ 'ticks' }}", {}, "backticks"),
        ("{{ 40 + 2 }}", {}, "42"),
        ("{{ get_env(name='T', default='INFO') | lower }}", {}, "info"),
        ("{{ get_env(name='T', default=' x ') | trim | upper }}", {}, "X"),
        ("{{ get_env(name='T', default='a-b') | replace(from='-', to='_') }}", {}, "a_b"),
        ("{{ unset_var | default(value='shared') }}", {}, "shared"),
        ("{{ git_branch | default(value='shared') }}", {"MIRRORD_BRANCH_NAME": "b"}, "b"),
        ("{{ git_branch }}", {"MIRRORD_BRANCH_NAME": "feat"}, "feat"),
        ("{{ key }}", {}, EDITOR_KEY),
        ("{{ key }}", {"MIRRORD_KEY": "mine"}, "mine"),
        ("a {# note #}b", {}, "a b"),
        ("{% raw %}{{ not rendered }}{% endraw %}", {}, "{{ not rendered }}"),
        ("x  {{- 'y' -}}  z", {}, "xyz"),
        ("{% set p = 80 %}{{ p * 2 }}", {}, "160"),
        (
            "{% if get_env(name='S', default='') == 'on' %}steal{% else %}mirror{% endif %}",
            {},
            "mirror",
        ),
        (
            "{% if get_env(name='S', default='') == 'on' %}steal{% else %}mirror{% endif %}",
            {"S": "on"},
            "steal",
        ),
        ("{% if false %}a{% elif 1 < 2 %}b{% else %}c{% endif %}", {}, "b"),
        ("{{ 'x' is defined }} {{ nope is defined }}", {}, "true false"),
    ],
)
def test_rendered_values(template: str, env: dict[str, str], expected: str) -> None:
    assert rendered(template, **env) == expected


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ('{{ get_env(name="MISSING_VAR") }}', "environment variable `MISSING_VAR` is not set"),
        ("{{ get_env(default='x') }}", "needs a `name`"),
        ("{{ get_env(name=3) }}", "`name` must be a string"),
        ("{{ nope }}", "variable `nope` is not defined"),
        ("{{ shout() }}", "no function named `shout`"),
        ("{{ 'a' | shout }}", "no filter named `shout`"),
        ("{{ 'a' | default }}", "`default` filter needs a `value`"),
        ("{{ 'a' ", "unclosed `{{`"),
        ("{% if true %}a", "never closed by `{% endif %}`"),
        ('{% include "other" %}', "mirrord renders the config file alone"),
        ('{{ throw(message="stop here") }}', "stop here"),
        ('{{ get_env(name=\\"X\\") }}', "unexpected"),  # JSON escapes are not Tera syntax
    ],
)
def test_render_failures_name_the_reason(template: str, reason: str) -> None:
    result = render(template, TemplateContext.from_environment({}))
    assert result is not None
    assert len(result.problems) == 1
    assert reason in result.problems[0].message


def test_render_value_as_tera_writes_it() -> None:
    assert [render_value(v) for v in (None, True, 3, 2.5, ["a", 1])] == [
        "",
        "true",
        "3",
        "2.5",
        "[a, 1]",
    ]


def test_git_branch_unknown_to_the_editor_is_opaque() -> None:
    # mirrord asks git for the branch; the editor does not guess, and reports nothing.
    result = render("{{ git_branch }}", TemplateContext.from_environment({}))
    assert result is not None and result.problems == [] and result.opaque == [(0, 1)]


def test_constructs_not_evaluated_are_opaque_not_errors() -> None:
    loop = "{% for x in [1] %}{{ x }}{% endfor %}"
    text = '{"agent": {"ttl": {{ now() }}}, "feature": {"env": "' + loop + '"}}'
    analysis = analyze(text, "json", env={})
    assert analysis.errors == []


# ---------------------------------------------------------- through the whole analysis


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (
            "json",
            '{"agent": {"ttl": {{ get_env(name="TTL", default=30) }}, '
            '"privileged": {{ get_env(name="P", default=false) }}}}',
        ),
        (
            "toml",
            '[agent]\nttl = {{ get_env(name="TTL", default=30) }}\n'
            'privileged = {{ get_env(name="P", default=false) }}\n',
        ),
        (
            "yaml",
            'agent:\n  ttl: {{ get_env(name="TTL", default=30) }}\n'
            '  privileged: {{ get_env(name="P", default=false) }}\n',
        ),
    ],
)
def test_bare_values_in_tags_are_judged_by_their_rendered_value(
    fmt: ConfigFormat, text: str
) -> None:
    good = analyze(text, fmt, env={"TTL": "45"})
    assert errors(good) == []
    assert good.parsed.value["agent"] == {"ttl": 45, "privileged": False}
    # A rendered value out of range is reported on the tag that produced it.
    bad = analyze(text, fmt, env={"TTL": "70000"})
    [finding] = bad.errors
    assert finding.code == "out-of-range" and "0..65535" in finding.message
    assert finding.range == span_of(text, '{{ get_env(name="TTL", default=30) }}')


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("json", '{"target": "{{ get_env(name="T") }}", "agent": {"ttl": 99999}}'),
        ("toml", 'target = "{{ get_env(name="T") }}"\n[agent]\nttl = 99999\n'),
        ("yaml", 'target: "{{ get_env(name="T") }}"\nagent:\n  ttl: 99999\n'),
    ],
)
def test_a_failed_render_is_one_error_on_the_tag_and_the_rest_is_checked(
    fmt: ConfigFormat, text: str
) -> None:
    analysis = analyze(text, fmt, env={})
    by_code = {f.code: f for f in analysis.errors}
    assert set(by_code) == {"template-error", "out-of-range"}
    assert by_code["template-error"].range == span_of(text, '{{ get_env(name="T") }}')
    assert "`T` is not set" in by_code["template-error"].message
    # Positions after the tag are in the file as written, not in the rendered text.
    assert by_code["out-of-range"].range == span_of(text, "99999")


def test_positions_after_a_tag_on_the_same_line_are_shifted_back() -> None:
    text = '{"target": "{{ get_env(name="T", default="pod/a") }}", "agnet": {}}'
    [finding] = [f for f in analyze(text, "json", env={}).findings if f.code == "unknown-key"]
    assert finding.range == span_of(text, '"agnet"')


def test_string_built_from_a_tag_is_reported_on_the_whole_value() -> None:
    text = '{"feature": {"network": {"incoming": "{{ get_env(name="M", default="stael") }}"}}}'
    [finding] = analyze(text, "json", env={}).errors
    assert finding.code == "invalid-value" and "steal" in finding.message
    assert finding.range == span_of(text, '"{{ get_env(name="M", default="stael") }}"')


def test_a_tag_producing_broken_syntax_is_reported_on_the_tag() -> None:
    text = '{"agent": {"ttl": {{ get_env(name="TTL", default="") }}}}'
    [found] = analyze(text, "json", env={}).errors
    assert found.code == "syntax-error" and "expected a value" in found.message
    assert found.range == span_of(text, '{{ get_env(name="TTL", default="") }}')


def test_the_server_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # The editor renders with the environment the server runs (and launches mirrord) with.
    monkeypatch.setenv("MIRRORD_IDE_TEST_TARGET", "pod/from-env")
    text = '{"target": "{{ get_env(name="MIRRORD_IDE_TEST_TARGET") }}"}'
    assert analyze(text, "json").parsed.value == {"target": "pod/from-env"}
    monkeypatch.delenv("MIRRORD_IDE_TEST_TARGET")
    assert [f.code for f in analyze(text, "json").errors] == ["template-error"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_templated_fixture_has_no_false_errors(fmt: ConfigFormat) -> None:
    """Shaped like a real public config that used to get 40 false syntax errors."""
    text = (FIXTURES / f"templated.mirrord.{fmt}").read_text(encoding="utf-8")
    analysis = analyze(text, fmt, env={})
    assert errors(analysis) == []
    value: dict[str, Any] = analysis.parsed.value
    assert value["target"] == {"path": "deployment/checkout", "namespace": "shop"}
    assert value["operator"] is False
    assert value["agent"]["ttl"] == 30 and value["agent"]["log_level"] == "info"
    incoming = value["feature"]["network"]["incoming"]
    assert incoming["mode"] == "steal"
    assert incoming["port_mapping"] == [[9090, 80]]
    assert incoming["http_filter"]["ports"] == [8080]
    assert f"mirrord-session={EDITOR_KEY}" in incoming["http_filter"]["header_filter"]
    assert value["feature"]["env"]["override"]["DATABASE_URL"] == "postgres://localhost:5432/app"
    assert analysis.config is not None


@pytest.mark.parametrize("fmt", FORMATS)
def test_templated_fixture_with_a_bad_environment(fmt: ConfigFormat) -> None:
    text = (FIXTURES / f"templated.mirrord.{fmt}").read_text(encoding="utf-8")
    env = {"AGENT_TTL": "-1", "INCOMING_MODE": "stael"}
    found = {f.code: f for f in analyze(text, fmt, env=env).errors}
    assert set(found) == {"out-of-range", "invalid-value"}
    line_of = {f.code: text.splitlines()[f.range.start.line] for f in found.values()}
    assert "AGENT_TTL" in line_of["out-of-range"]
    assert "INCOMING_MODE" in line_of["invalid-value"]
    # `operator` renders to false (its default), so a job target is refused.
    [off] = analyze(text, fmt, env={"MIRRORD_TARGET": "job/nightly"}).errors
    assert (
        off.code == "requires-operator"
        and "MIRRORD_TARGET" in text.splitlines()[off.range.start.line]
    )


@pytest.mark.parametrize(
    ("fmt", "marked", "expected"),
    [
        ("json", '{"agent": {"ttl": {{ get_env(name="T", default=1) }}, "|"}}', "startup_timeout"),
        ("toml", '[agent]\nttl = {{ get_env(name="T", default=1) }}\n|', "startup_timeout"),
        ("yaml", 'agent:\n  ttl: {{ get_env(name="T", default=1) }}\n  |', "startup_timeout"),
    ],
)
def test_completion_in_a_templated_file(fmt: ConfigFormat, marked: str, expected: str) -> None:
    text, position = split_cursor(marked)
    labels = {s.label for s in completions(analyze(text, fmt, env={}).parsed, position)}
    assert expected in labels and "ttl" not in labels


@pytest.mark.parametrize("fmt", FORMATS)
def test_hover_in_a_templated_file(fmt: ConfigFormat) -> None:
    text = (FIXTURES / f"templated.mirrord.{fmt}").read_text(encoding="utf-8")
    parsed = analyze(text, fmt, env={}).parsed
    at = span_of(text, "startup_timeout").start
    info = hover(parsed, at)
    assert info is not None and "agent.startup_timeout" in info.markdown


def test_blocks_nested_too_deep_are_one_error_not_a_crash() -> None:
    text = "{% if true %}" * 500 + "{}" + "{% endif %}" * 500
    [finding] = analyze(text, "json", env={}).findings
    assert finding.code == "template-error" and "nest deeper" in finding.message
    fine = "{% if true %}" * 30 + '{"target": "targetless"}' + "{% endif %}" * 30
    assert analyze(fine, "json", env={}).findings == []


def test_nested_if_inside_a_branch() -> None:
    text = (
        "{% if get_env(name='A', default='') %}{% if true %}a{% else %}b{% endif %}"
        "{% elif true %}{% if false %}c{% else %}d{% endif %}{% else %}e{% endif %}"
    )
    assert rendered(text) == "d"
    assert rendered(text, A="1") == "a"


def test_random_template_soup_never_breaks_the_analysis() -> None:
    pieces = [
        *("{{", "}}", "{%", "%}", "{#", "#}", "-", " ", "'", '"', "`", "(", ")", "[", "]"),
        *("|", "~", "get_env", "name", "=", "default", "if", "endif", "else", "elif"),
        *("raw", "endraw", "for", "endfor", "set", "x", "1", "2.5", "true", ",", "\n"),
        *("{", "}", ":", "is", "not", "defined", "and", "or", "+", "/", "key", "é", "😀"),
    ]
    rng = random.Random(13)
    for _ in range(600):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 50)))
        for fmt in FORMATS:
            analysis = analyze(text, fmt, env={})
            assert not [f for f in analysis.findings if f.code == "internal-error"], (text, fmt)
            size = LineIndex(text)
            for f in analysis.findings:  # every position is inside the file as written
                assert f.range.start <= f.range.end
                assert f.range.end.line < size.line_count


def test_read_value_renders_without_validating() -> None:
    from mirrord_ide.document.analysis import read_value

    text = 'target:\n  namespace: {{ get_env(name="NS", default="shop") }}\n  bogus: 1\n'
    assert read_value(text, "yaml", env={"NS": "payments"}) == {
        "target": {"namespace": "payments", "bogus": 1}
    }
