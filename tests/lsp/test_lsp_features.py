"""Completion, hover, code actions and document symbols over stdio."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .support import (
    Documents,
    RecordingClient,
    after,
    apply_edits,
    by_code,
    span,
    wait_for_version,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(60)]


def doc_id(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


def snippets_supported(client: RecordingClient) -> bool:
    caps = client.capabilities
    assert caps is not None and caps.text_document is not None
    completion = caps.text_document.completion
    item = completion.completion_item if completion else None
    return bool(item and item.snippet_support)


async def complete(
    client: RecordingClient, uri: str, pos: types.Position
) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=pos)
    )
    assert isinstance(result, types.CompletionList)
    return list(result.items)


async def test_key_completion_with_snippets_when_supported(
    client: RecordingClient, docs: Documents
) -> None:
    text = '{\n  "target": "targetless",\n  "fe\n}\n'
    uri = docs.open("mirrord.json", text)
    await wait_for_version(client, uri, 1)
    items = await complete(client, uri, after(text, '"fe'))
    by_label = {i.label: i for i in items}
    assert {"feature", "agent", "operator"} <= set(by_label)
    assert "target" not in by_label, "keys already present are not offered again"
    feature = by_label["feature"]
    assert feature.kind == types.CompletionItemKind.Property
    assert isinstance(feature.text_edit, types.TextEdit)
    # The edit replaces the typed `fe` on line 2, after the opening quote, so
    # every client filters by the bare name.
    assert feature.text_edit.range == span(text, "fe")
    assert feature.filter_text is None
    if snippets_supported(client):
        assert feature.insert_text_format == types.InsertTextFormat.Snippet
        assert "$0" in feature.text_edit.new_text
    else:
        assert feature.insert_text_format == types.InsertTextFormat.PlainText
        assert "$" not in feature.text_edit.new_text
    # Whatever the client, accepting the item yields valid config text.
    new_text = feature.text_edit.new_text.replace("$0", "").replace("\t", "  ")
    fixed = apply_edits(text, [types.TextEdit(range=feature.text_edit.range, new_text=new_text)])
    uri2 = docs.open("mirrord.json", fixed)
    assert await wait_for_version(client, uri2, 1) == []


async def test_enum_value_completion(client: RecordingClient, docs: Documents) -> None:
    text = '{"feature": {"network": {"incoming": {"mode": ""}}}}'
    uri = docs.open("mirrord.json", text)
    await wait_for_version(client, uri, 1)
    items = await complete(client, uri, after(text, '"mode": "'))
    labels = {i.label for i in items}
    assert {"mirror", "steal", "off"} <= labels
    steal = next(i for i in items if i.label == "steal")
    assert isinstance(steal.text_edit, types.TextEdit)
    fixed = apply_edits(text, [steal.text_edit])
    assert '"mode": "steal"' in fixed


async def test_yaml_key_completion(client: RecordingClient, docs: Documents) -> None:
    text = "target: targetless\nagent:\n  na\n"
    uri = docs.open(".mirrord/dev.yaml", text, language="yaml")
    await wait_for_version(client, uri, 1)
    items = await complete(client, uri, after(text, "  na"))
    assert "namespace" in {i.label for i in items}


async def test_no_completion_outside_config_files(client: RecordingClient, docs: Documents) -> None:
    text = '{\n  "fe\n}\n'
    uri = docs.open("package.json", text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(uri), position=after(text, '"fe'))
    )
    assert result is None


async def test_hover_shows_description_values_and_default(
    client: RecordingClient, docs: Documents
) -> None:
    text = '{\n  // 🧪 hover\n  "feature": {"network": {"incoming": {"mode": "steal"}}}\n}\n'
    uri = docs.open("mirrord.json", text)
    await wait_for_version(client, uri, 1)
    key = span(text, '"mode"')
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=doc_id(uri),
            position=types.Position(key.start.line, key.start.character + 2),
        )
    )
    assert hover is not None
    assert isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "feature.network.incoming.mode" in hover.contents.value
    assert "steal" in hover.contents.value and "Default" in hover.contents.value
    assert hover.range == key


async def code_actions(
    client: RecordingClient, uri: str, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc_id(uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert result is not None
    return [a for a in result if isinstance(a, types.CodeAction)]


async def test_did_you_mean_quick_fix_removes_the_diagnostic(
    client: RecordingClient, docs: Documents
) -> None:
    text = '{\n  "target": "targetless",\n  "feature": {"netwrk": {"dns": true}}\n}\n'
    uri = docs.open("mirrord.json", text)
    [unknown] = by_code(await wait_for_version(client, uri, 1), "unknown-key")
    actions = await code_actions(client, uri, unknown)
    [rename] = [a for a in actions if "network" in a.title]
    assert rename.kind == types.CodeActionKind.QuickFix
    assert rename.is_preferred
    assert list(rename.diagnostics or []) == [unknown]
    assert rename.edit is not None and rename.edit.changes is not None
    fixed = apply_edits(text, list(rename.edit.changes[uri]))
    assert '"network": {"dns": true}' in fixed
    uri2 = docs.open("mirrord.json", fixed)
    assert by_code(await wait_for_version(client, uri2, 1), "unknown-key") == []


async def test_targetless_quick_fix_for_a_bad_target(
    client: RecordingClient, docs: Documents
) -> None:
    text = 'target = "pood/web"\n\n[agent]\nttl = 5\n'
    uri = docs.open("mirrord.toml", text, language="toml")
    [bad] = by_code(await wait_for_version(client, uri, 1), "invalid-target-path")
    assert bad.range == span(text, '"pood/web"')
    actions = await code_actions(client, uri, bad)
    [targetless] = [a for a in actions if "targetless" in a.title]
    assert list(targetless.diagnostics or []) == [bad]
    assert targetless.edit is not None and targetless.edit.changes is not None
    fixed = apply_edits(text, list(targetless.edit.changes[uri]))
    uri2 = docs.open("mirrord.toml", fixed, language="toml")
    assert await wait_for_version(client, uri2, 1) == []


async def test_only_filter_excludes_quick_fixes(client: RecordingClient, docs: Documents) -> None:
    text = '{"feture": 1}'
    uri = docs.open("mirrord.json", text)
    [unknown] = by_code(await wait_for_version(client, uri, 1), "unknown-key")
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc_id(uri),
            range=unknown.range,
            context=types.CodeActionContext(
                diagnostics=[unknown], only=[types.CodeActionKind.Refactor]
            ),
        )
    )
    assert not result


async def test_document_symbols_are_hierarchical(client: RecordingClient, docs: Documents) -> None:
    text = (
        '{\n  "target": "targetless",\n'
        '  "feature": {\n    "network": {"incoming": {"mode": "steal"}},\n    "env": true\n  }\n}\n'
    )
    uri = docs.open("mirrord.json", text)
    await wait_for_version(client, uri, 1)
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc_id(uri))
    )
    assert result is not None
    symbols = [s for s in result if isinstance(s, types.DocumentSymbol)]
    assert [s.name for s in symbols] == ["target", "feature"]
    feature = symbols[1]
    assert feature.selection_range == span(text, '"feature"')
    assert feature.range.start == span(text, '"feature"').start
    assert [c.name for c in feature.children or []] == ["network", "env"]
    network = (feature.children or [])[0]
    [incoming] = network.children or []
    [mode] = incoming.children or []
    assert mode.name == "mode" and mode.kind == types.SymbolKind.String
