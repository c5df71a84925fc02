"""mirrord's own configs and documented examples: no false errors, and broken variants fail.

The files live outside the repository (`<repo>/../shared/reference/mirrord`); the tests
skip when that folder is absent.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mirrord_ide.config.validate import validate_config
from mirrord_ide.document.analysis import analyze
from mirrord_ide.document.formats import config_format

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "mirrord"
FILES = sorted(
    p
    for folder in ("configs", "examples")
    if (REFERENCE / folder).is_dir()
    for p in (REFERENCE / folder).iterdir()
    if p.suffix in (".json", ".toml")
)

pytestmark = pytest.mark.skipif(not FILES, reason=f"no reference configs at {REFERENCE}")


def load(path: Path) -> Any:
    if path.suffix == ".toml":
        return tomllib.loads(path.read_text(encoding="utf-8"))
    return json.loads(path.read_text(encoding="utf-8"))


def test_all_reference_files_found() -> None:
    assert len(FILES) == 73
    assert any(p.suffix == ".toml" for p in FILES)


# Files mirrord itself refuses, with the error it raises (and we raise too).
MIRRORD_REJECTS = {
    # `LayerConfig::verify` (`mirrord/config/src/lib.rs`): "cannot use both `include` and
    # `exclude` filters for environment variables". The documentation shows the two
    # together, but mirrord refuses that config.
    "doc-example-033.json": {("feature.env.exclude", "env-include-exclude")},
    "doc-example-037.json": {("feature.env.exclude", "env-include-exclude")},
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reference_config_has_no_error(path: Path) -> None:
    result = validate_config(load(path))
    errors = {(p.dotted_path, p.code) for p in result.errors}
    assert errors == MIRRORD_REJECTS.get(path.name, set())
    assert result.config is not None


@pytest.mark.parametrize("env", [{}, {"MIRRORD_BRANCH_NAME": "main", "MIRRORD_KEY": "k"}])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reference_config_analysed_as_a_file_has_no_false_error(
    path: Path, env: dict[str, str]
) -> None:
    """The whole pass the editor, `verify-config` and startSession run: Tera rendering
    (several files use `{{ key }}` and `{{ git_branch }}`), strict parsing, validation."""
    fmt = config_format(path.name)
    assert fmt is not None
    analysis = analyze(path.read_text(encoding="utf-8"), fmt, env=env)
    errors = {(f.path, f.code) for f in analysis.errors}
    assert errors == MIRRORD_REJECTS.get(path.name, set())
    assert analysis.config is not None


def test_templated_reference_configs_render() -> None:
    templated = [p for p in FILES if "{{" in p.read_text(encoding="utf-8")]
    assert templated, "the reference set has templated configs"
    for path in templated:
        env = {"MIRRORD_BRANCH_NAME": "feature-x", "MIRRORD_KEY": "abc"}
        value = analyze(path.read_text(encoding="utf-8"), "json", env=env).parsed.value
        assert "{{" not in json.dumps(value), path.name


def _with(value: dict[str, Any], path: tuple[str, ...], leaf: Any) -> dict[str, Any]:
    out = copy.deepcopy(value)
    node = out
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = leaf
    return out


MUTATED = [p for p in FILES if isinstance(load(p), dict) and "feature" in load(p)][:8]


@pytest.mark.parametrize("path", MUTATED, ids=lambda p: p.name)
def test_unknown_key_mutation_is_an_error(path: Path) -> None:
    value = load(path)
    bad = _with(value, ("feature", "featur_extra"), True)
    codes = [p.code for p in validate_config(bad).errors]
    assert "unknown-key" in codes
    bad_root = dict(value, agnet={})
    problem = next(p for p in validate_config(bad_root).errors if p.code == "unknown-key")
    assert problem.data.get("replaceKey") == "agent"


@pytest.mark.parametrize("path", MUTATED, ids=lambda p: p.name)
def test_wrong_type_mutations_are_errors(path: Path) -> None:
    value = load(path)
    for where, leaf in [
        (("agent", "ttl"), "30"),
        (("feature", "network"), 42),
        (("operator",), "yes"),
        (("target",), ["pod/a"]),
    ]:
        result = validate_config(_with(value, where, leaf))
        assert [p.path for p in result.errors if p.code == "wrong-type"] == [where], where
