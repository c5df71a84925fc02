"""mirrord's own decisions, in every format it reads: strict JSON, TOML tables defined
once, `env.include` with `env.exclude`, operator-only targets with `operator: false`,
and numbers outside their Rust type's range. The same `analyze` serves the editor,
`verify-config` and startSession's config check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mirrord_ide.document.analysis import Analysis, analyze
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.errors import MirrordError

FORMATS: tuple[ConfigFormat, ...] = ("json", "toml", "yaml")


def codes(analysis: Analysis) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in analysis.errors]


def _toml(value: dict[str, object]) -> str:
    """A small TOML writer for nested tables of scalars and arrays."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, object]]] = []

    def scalar(v: object) -> str:
        return json.dumps(v) if not isinstance(v, bool) else ("true" if v else "false")

    def walk(prefix: str, table: dict[str, object]) -> None:
        body = [(k, v) for k, v in table.items() if not isinstance(v, dict)]
        if prefix:
            tables.append((prefix, dict(body)))
        else:
            lines.extend(f"{k} = {scalar(v)}" for k, v in body)
        for k, v in table.items():
            if isinstance(v, dict):
                walk(f"{prefix}.{k}" if prefix else k, v)

    walk("", value)
    for name, body in tables:
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {scalar(v)}" for k, v in body.items())
    return "\n".join(lines) + "\n"


def text_of(value: dict[str, object], fmt: ConfigFormat) -> str:
    if fmt == "toml":
        return _toml(value)
    if fmt == "yaml":
        return str(yaml.safe_dump(value))
    return json.dumps(value)


# ----------------------------------------------------------------------- strict JSON


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('{\n  // the target\n  "target": "targetless"\n}', "// the target"),
        ('{"target": "targetless" /* here */}', "/* here */"),
        ('{"target": "targetless",}', ","),
        ('{"agent": {"ttl": 30,}, "target": "targetless"}', ","),
        ('{"skip_processes": ["a", "b",], "target": "targetless"}', ","),
    ],
)
def test_json_is_read_strictly(text: str, what: str) -> None:
    # `mirrord/config/src/lib.rs` parses `.json` with serde_json.
    analysis = analyze(text, "json")
    [error] = analysis.errors
    assert error.code == "syntax-error" and "serde_json" in error.message
    line = text.splitlines()[error.range.start.line]
    assert line[error.range.start.character : error.range.end.character] == what
    # The rest is still read.
    assert analysis.parsed.value["target"] == "targetless"


def test_strict_json_without_comments_or_trailing_commas_is_clean() -> None:
    text = '{"target": "targetless", "feature": {"fs": {"read_only": ["/etc//x", "a/*b"]}}}'
    assert analyze(text, "json").errors == []


# ------------------------------------------------------------- TOML tables, defined once


@pytest.mark.parametrize(
    "text",
    [
        "[agent]\nttl = 1\n[agent]\nprivileged = true\n",
        "[feature.network]\ndns = true\n[feature.network]\nipv6 = false\n",
        "agent.ttl = 1\n[agent]\nprivileged = true\n",
        "agent = { ttl = 1 }\n[agent]\nprivileged = true\n",
    ],
)
def test_toml_table_defined_twice_is_an_error(text: str) -> None:
    # The toml crate mirrord uses (`mirrord/config/src/lib.rs`) rejects each of these.
    [error] = analyze(text, "toml").errors
    assert error.code == "duplicate-key" and "defined more than once" in error.message
    # On the second definition, the last header.
    lines = text.splitlines()
    assert error.range.start.line == max(i for i, line in enumerate(lines) if line.startswith("["))


@pytest.mark.parametrize(
    "text",
    [
        "[feature.network.incoming]\nmode = 'steal'\n[feature]\nenv = true\n",
        "[feature.network]\ndns = true\n[feature.network.incoming]\nmode = 'mirror'\n",
        "[[feature.db_branches]]\ntype = 'pg'\nversion = '16'\n[[feature.db_branches]]\n"
        "type = 'pg'\nversion = '15'\n",
    ],
)
def test_toml_tables_that_are_not_redefined_are_fine(text: str) -> None:
    assert [e for e in analyze(text, "toml").errors if e.code == "duplicate-key"] == []


# ------------------------------------------------------------------ include + exclude


@pytest.mark.parametrize("fmt", FORMATS)
def test_env_include_with_exclude_is_an_error(fmt: ConfigFormat) -> None:
    # `mirrord/config/src/lib.rs` `verify` and `mirrord/cli/src/execution.rs`
    # `fetch_env_vars` both refuse the pair.
    value: dict[str, object] = {
        "target": "targetless",
        "feature": {"env": {"include": "A;B", "exclude": "C"}},
    }
    analysis = analyze(text_of(value, fmt), fmt)
    assert codes(analysis) == [("env-include-exclude", "feature.env.exclude")]
    one: dict[str, object] = {"target": "targetless", "feature": {"env": {"include": "A"}}}
    assert analyze(text_of(one, fmt), fmt).errors == []


# ------------------------------------------------------------- operator-only targets

OPERATOR_ONLY = [
    "job/nightly",
    "cronjob/cleanup",
    "statefulset/db",
    "service/web",
    "replicaset/web-123",
    "label/app=web",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("target", OPERATOR_ONLY)
def test_operator_only_target_with_operator_false_is_an_error(
    fmt: ConfigFormat, target: str
) -> None:
    # `mirrord/config/src/target.rs` `requires_operator`, refused by `LayerConfig::verify`.
    off = analyze(text_of({"target": target, "operator": False}, fmt), fmt)
    assert codes(off) == [("requires-operator", "target")]
    assert "`operator` is false" in off.errors[0].message
    unset = analyze(text_of({"target": target}, fmt), fmt)
    assert unset.errors == []
    assert [w.code for w in unset.warnings] == ["requires-operator"]
    on = analyze(text_of({"target": target, "operator": True}, fmt), fmt)
    assert [f.code for f in on.findings if f.code == "requires-operator"] == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_open_source_targets_with_operator_false_are_fine(fmt: ConfigFormat) -> None:
    for target in ("pod/a", "deployment/a", "rollout/a", "targetless"):
        assert analyze(text_of({"target": target, "operator": False}, fmt), fmt).errors == []


def test_operator_false_with_object_form_target() -> None:
    text = '{"operator": false, "target": {"path": {"job": "nightly"}, "namespace": "a"}}'
    assert codes(analyze(text, "json")) == [("requires-operator", "target.path")]


# ---------------------------------------------------------------- numbers in range

HUGE = "9" * 5000


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("section", "key", "literal", "allowed"),
    [
        ("agent", "ttl", HUGE, "0..65535"),  # u16
        ("agent", "ttl", "70000", "0..65535"),
        ("agent", "ttl", "-1", "0..65535"),
        ("agent", "startup_timeout", "-" + HUGE, "0..2^64-1"),  # u64
        ("agent", "startup_timeout", "18446744073709551616", "0..2^64-1"),
        ("startup_retry", "max_retries", "4294967296", "0..4294967295"),  # u32
    ],
)
def test_out_of_range_numbers_name_the_allowed_range(
    fmt: ConfigFormat, section: str, key: str, literal: str, allowed: str
) -> None:
    if fmt == "json":
        text = f'{{"target": "targetless", "{section}": {{"{key}": {literal}}}}}'
    elif fmt == "toml":
        text = f'target = "targetless"\n[{section}]\n{key} = {literal}\n'
    else:
        text = f"target: targetless\n{section}:\n  {key}: {literal}\n"
    analysis = analyze(text, fmt)
    [error] = analysis.errors
    fits_i64 = len(literal.lstrip("-")) <= 19 and -(2**63) <= int(literal) < 2**63
    if fmt == "toml" and not fits_i64:
        # The toml crate refuses integers beyond i64 before any field sees them.
        assert error.code == "syntax-error" and "64-bit signed" in error.message
    else:
        assert error.code == "out-of-range" and error.path == f"{section}.{key}"
        assert error.message.endswith(f"must be within {allowed}")
    assert len(error.message) < 120  # a 5000-digit number is abbreviated
    # Never silently replaced by the default.
    assert analysis.config is not None
    assert key not in analysis.config.model_dump(exclude_unset=True).get(section, {})


@pytest.mark.parametrize("fmt", FORMATS)
def test_port_above_65535_in_a_list(fmt: ConfigFormat) -> None:
    value = {"target": "pod/a", "feature": {"network": {"incoming": {"ports": [80, 65536]}}}}
    [error] = analyze(text_of(value, fmt), fmt).errors
    assert error.path == "feature.network.incoming.ports.1"
    assert error.message == "65536 is out of range: must be within 0..65535"


# ----------------------------------------------- every place that reads a config


def test_verify_config_and_session_check_apply_the_same_rules(tmp_path: Path) -> None:
    from mirrord_ide.commands.verify_config import verify
    from mirrord_ide.lsp.session_requests import check_config

    text = '{\n  // a comment\n  "target": "job/x",\n  "operator": false\n}\n'
    path = tmp_path / "mirrord.json"
    path.write_text(text, encoding="utf-8")
    result = verify(str(path))
    assert result["type"] == "Fail"
    assert {e["code"] for e in result["errors"]} == {"syntax-error", "requires-operator"}
    with pytest.raises(MirrordError) as raised:
        check_config(text, path.as_uri())
    assert raised.value.kind == "invalid-config"
