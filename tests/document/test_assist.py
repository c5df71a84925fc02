"""Completion, hover, symbols and quick fixes in each format."""

from mirrord_ide.document.analysis import analyze
from mirrord_ide.document.assist import code_actions, completions, hover, symbols
from mirrord_ide.document.lines import apply_change
from mirrord_ide.document.parse import parse_document
from mirrord_ide.textrange import Range

from .cursor import split_cursor


def _complete(fmt: str, marked: str, **kw):  # type: ignore[no-untyped-def]
    text, pos = split_cursor(marked)
    return completions(parse_document(text, fmt), pos, **kw)  # type: ignore[arg-type]


def test_root_keys_skip_present_ones() -> None:
    labels = {s.label for s in _complete("json", '{"target": "targetless", "|"}')}
    assert {"feature", "agent", "operator"} <= labels
    assert "target" not in labels


def test_json_key_snippet_with_enum_mode() -> None:
    items = {s.label: s for s in _complete("json", '{"feature": {"network": {"inc|"}}}')}
    incoming = items["incoming"]
    assert incoming.is_snippet and incoming.kind == "property"
    assert incoming.insert_text.startswith('"incoming": ')
    assert "steal" in incoming.insert_text
    # The replace range covers the typed word with its quotes.
    assert incoming.replace_range == Range.of(0, 25, 0, 30)


def test_toml_and_yaml_key_insertions_follow_the_format() -> None:
    toml = {s.label: s for s in _complete("toml", "[feature.network]\ninc|")}
    assert toml["incoming"].insert_text.startswith("incoming = ")
    yaml = {s.label: s for s in _complete("yaml", "agent:\n  tt|")}
    assert yaml["ttl"].insert_text.startswith("ttl: ")
    yaml_obj = {s.label: s for s in _complete("yaml", "feature:\n  net|")}
    assert yaml_obj["network"].insert_text.startswith("network:\n")


def test_enum_values_at_value_position() -> None:
    json_items = {
        s.label: s
        for s in _complete("json", '{"feature": {"network": {"incoming": {"mode": "|"}}}}')
    }
    assert {"mirror", "steal", "off"} <= set(json_items)
    assert json_items["steal"].insert_text == '"steal"'
    yaml_items = {
        s.label: s
        for s in _complete("yaml", "feature:\n  network:\n    incoming:\n      mode: st|")
    }
    assert yaml_items["steal"].insert_text == "steal"


def test_booleans_at_value_position() -> None:
    labels = {s.label for s in _complete("toml", "[agent]\nephemeral = |")}
    assert {"true", "false"} <= labels


def test_target_values_include_live_targets_and_targetless() -> None:
    items = _complete("json", '{"target": "|"}', live_targets=["deployment/web", "pod/api-1"])
    labels = [s.label for s in items]
    assert labels[:2] == ["deployment/web", "pod/api-1"]
    assert "targetless" in labels
    nested = {
        s.label for s in _complete("yaml", "target:\n  path: dep|", live_targets=["deployment/web"])
    }
    assert nested >= {"deployment/web", "targetless"}


def test_namespace_values_come_from_the_cluster() -> None:
    labels = {
        s.label
        for s in _complete("toml", '[target]\nnamespace = "|"', live_namespaces=["default", "prod"])
    }
    assert labels >= {"default", "prod"}


def test_hover_describes_the_key() -> None:
    text, pos = split_cursor('{"agent": {"t|tl": 5}}')
    info = hover(parse_document(text, "json"), pos)
    assert info is not None
    assert "agent.ttl" in info.markdown
    assert "Default" in info.markdown
    assert info.range == Range.of(0, 11, 0, 16)


def test_hover_on_value_and_outside() -> None:
    text, pos = split_cursor("feature:\n  network:\n    incoming:\n      mode: st|eal\n")
    info = hover(parse_document(text, "yaml"), pos)
    assert info is not None and "steal" in info.markdown
    assert hover(parse_document("{}", "json"), split_cursor("{|}")[1]) is None


def test_symbols_nest_with_key_selection_ranges() -> None:
    doc = parse_document('[agent]\nttl = 30\n[feature.env]\ninclude = "A"\n', "toml")
    tree = {s.name: s for s in symbols(doc)}
    assert set(tree) == {"agent", "feature"}
    ttl = tree["agent"].children[0]
    assert (ttl.name, ttl.detail, ttl.kind) == ("ttl", "30", "number")
    assert ttl.selection_range == Range.of(1, 0, 1, 3)
    assert tree["feature"].children[0].children[0].name == "include"


def _apply(text: str, fix) -> str:  # type: ignore[no-untyped-def]
    for edit in sorted(fix.edits, key=lambda e: e.range.start, reverse=True):
        text = apply_change(text, edit.range, edit.new_text)
    return text


def test_did_you_mean_fix_renames_the_key_in_each_format() -> None:
    sources = {
        "json": '{"feature": {"network": {"incoming": {"mod": "steal"}}}}',
        "toml": '[feature.network.incoming]\nmod = "steal"\n',
        "yaml": "feature:\n  network:\n    incoming:\n      mod: steal\n",
    }
    for fmt, text in sources.items():
        analysis = analyze(text, fmt)  # type: ignore[arg-type]
        unknown = [f for f in analysis.findings if f.code == "unknown-key"]
        assert unknown, fmt
        fixes = code_actions(analysis.parsed, analysis.findings, unknown[0].range)
        rename = next(f for f in fixes if "mode" in f.title)
        assert rename.preferred
        fixed = _apply(text, rename)
        assert not [f for f in analyze(fixed, fmt).findings if f.severity == "error"], fmt  # type: ignore[arg-type]


def test_invalid_target_fix_sets_targetless() -> None:
    for fmt, text in {
        "json": '{"target": "pood/x"}',
        "toml": 'target = "pood/x"\n',
        "yaml": "target:\n  path: pood/x\n",
    }.items():
        analysis = analyze(text, fmt)  # type: ignore[arg-type]
        bad = [f for f in analysis.findings if f.code == "invalid-target-path"]
        assert bad, fmt
        fixes = code_actions(analysis.parsed, analysis.findings, bad[0].range)
        fix = next(f for f in fixes if "targetless" in f.title)
        fixed = _apply(text, fix)
        assert analyze(fixed, fmt).parsed.value["target"] in ("targetless", {"path": "targetless"})  # type: ignore[arg-type]


def test_missing_target_fix_inserts_a_target_in_each_format() -> None:
    sources = {
        "json": '{\n  "feature": {"network": {"incoming": "steal"}}\n}',
        "toml": '[feature.network]\nincoming = "steal"\n',
        "yaml": "feature:\n  network:\n    incoming: steal\n",
    }
    for fmt, text in sources.items():
        analysis = analyze(text, fmt)  # type: ignore[arg-type]
        steal = [f for f in analysis.findings if f.code == "targetless-steal"]
        assert steal, fmt
        fixes = code_actions(analysis.parsed, analysis.findings, steal[0].range)
        fix = next(f for f in fixes if "target" in f.title)
        fixed = analyze(_apply(text, fix), fmt)  # type: ignore[arg-type]
        assert fixed.parsed.syntax_errors == [], fmt
        assert "target" in fixed.parsed.value, fmt
        assert fixed.parsed.value["feature"]["network"]["incoming"] == "steal"
