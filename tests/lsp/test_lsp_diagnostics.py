"""Diagnostics over stdio against the real server, for several real clients."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from .support import Documents, RecordingClient, by_code, span, wait_for_version

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(60)]

EMOJI_CONFIG = """{
  // 日本語のコメント 🚀🚀 déjà vu
  "target": {"path": "deployment/ünïcödé-🐳", "namespace": "default"},
  "agent": {"namespace": "🦀", "feture": true}
}
"""


async def test_unknown_key_after_emoji_has_exact_utf16_range(
    client: RecordingClient, docs: Documents
) -> None:
    uri = docs.open("mirrord.json", EMOJI_CONFIG)
    diagnostics = await wait_for_version(client, uri, 1)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.source == "mirrord"
    assert unknown.severity == types.DiagnosticSeverity.Error
    assert unknown.range == span(EMOJI_CONFIG, '"feture"')
    assert "feture" in unknown.message


async def test_valid_config_publishes_empty_list(client: RecordingClient, docs: Documents) -> None:
    text = '{\n  "target": "targetless",\n  "feature": {"network": {"incoming": "mirror"}}\n}\n'
    uri = docs.open("app.mirrord.json", text)
    assert await wait_for_version(client, uri, 1) == []


async def test_incremental_changes_track_versions_and_ranges(
    client: RecordingClient, docs: Documents
) -> None:
    text = '{\n  "target": "targetless",\n  "agent": {"ttl": 5}\n}\n'
    uri = docs.open("mirrord.json", text)
    assert await wait_for_version(client, uri, 1) == []

    # Rename `ttl` to `tll` with a ranged edit of the two characters "tt" -> "tl".
    at = span(text, "ttl")
    edit = types.Range(start=at.start, end=types.Position(at.start.line, at.start.character + 2))
    docs.change(uri, 2, [types.TextDocumentContentChangePartial(range=edit, text="tl")])
    changed = text.replace("ttl", "tll")
    diagnostics = await wait_for_version(client, uri, 2)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.range == span(changed, '"tll"')

    # Insert a line above: the error moves down one line.
    top = types.Range(start=types.Position(1, 0), end=types.Position(1, 0))
    docs.change(
        uri,
        3,
        [types.TextDocumentContentChangePartial(range=top, text='  "skip_processes": [],\n')],
    )
    moved = changed.replace("{\n", '{\n  "skip_processes": [],\n', 1)
    diagnostics = await wait_for_version(client, uri, 3)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.range == span(moved, '"tll"')

    # Fix it again with a full-text change.
    docs.change(uri, 4, [types.TextDocumentContentChangeWholeDocument(text=text)])
    assert await wait_for_version(client, uri, 4) == []


async def test_burst_of_changes_ends_with_latest_version(
    client: RecordingClient, docs: Documents
) -> None:
    text = '{\n  "target": "targetless"\n}\n'
    uri = docs.open("mirrord.json", text)
    await wait_for_version(client, uri, 1)
    final = ""
    for version in range(2, 30):
        final = (
            '{\n  "target": "targetless",\n'
            f'  "agent": {{"ttl": {version}, "bad{version}": 1}}\n}}\n'
        )
        docs.change(uri, version, [types.TextDocumentContentChangeWholeDocument(text=final)])
    diagnostics = await wait_for_version(client, uri, 29)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.range == span(final, '"bad29"')
    # Versions are published in order and never for a newer version than was sent.
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions)


async def test_syntax_error_still_reports_the_rest(
    client: RecordingClient, docs: Documents
) -> None:
    text = (
        '{\n  "target": "targetless",\n  "agent": {"ttl": 5 "namespace": "x"},\n'
        '  "feature": {"netwrk": {}}\n}\n'
    )
    uri = docs.open("mirrord.json", text)
    diagnostics = await wait_for_version(client, uri, 1)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.range == span(text, '"netwrk"')
    syntax = by_code(diagnostics, "syntax-error")
    assert syntax, "the syntax error itself is reported"
    assert all(d.severity == types.DiagnosticSeverity.Error for d in syntax)
    assert all(d.range.start.line == 2 for d in syntax)


async def test_wrong_enum_value(client: RecordingClient, docs: Documents) -> None:
    text = '{"feature": {"network": {"incoming": {"mode": "stael"}}}}'
    uri = docs.open("mirrord.json", text)
    diagnostics = await wait_for_version(client, uri, 1)
    [bad] = [d for d in diagnostics if d.range == span(text, '"stael"')]
    assert bad.code == "invalid-value"
    assert "steal" in bad.message


async def test_toml_unknown_key(client: RecordingClient, docs: Documents) -> None:
    text = '# ☃ config\ntarget = "targetless"\n\n[agent]\nnamespace = "ns"\nttl_s = 4\n'
    uri = docs.open("mirrord.toml", text, language="toml")
    diagnostics = await wait_for_version(client, uri, 1)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.range == span(text, "ttl_s")


async def test_yaml_unknown_key_and_wrong_type(client: RecordingClient, docs: Documents) -> None:
    text = 'target: targetless  # 🎯\nagent:\n  ttl: "soon"\n  namespce: ns\n'
    uri = docs.open(".mirrord/dev.yaml", text, language="yaml")
    diagnostics = await wait_for_version(client, uri, 1)
    [unknown] = by_code(diagnostics, "unknown-key")
    assert unknown.range == span(text, "namespce")
    [wrong] = by_code(diagnostics, "wrong-type")
    assert wrong.range == span(text, '"soon"')


async def test_non_config_file_gets_nothing(client: RecordingClient, docs: Documents) -> None:
    other = docs.open("package.json", '{"name": "x", "feture": [}')
    plain = docs.open("settings.yaml", "feture: 1\n", language="yaml")
    # A config opened afterwards is answered; by then the others would have been too.
    uri = docs.open("mirrord.json", '{"feture": 1}')
    await wait_for_version(client, uri, 1)
    await asyncio.sleep(0.2)
    assert [p for p in client.published if p.uri in (other, plain)] == []


async def test_close_clears_diagnostics(client: RecordingClient, docs: Documents) -> None:
    uri = docs.open("mirrord.json", '{"feture": 1}')
    assert await wait_for_version(client, uri, 1)
    docs.close(uri)
    for _ in range(200):
        last = [p for p in client.published if p.uri == uri][-1]
        if last.version is None:
            break
        await asyncio.sleep(0.01)
    assert list(last.diagnostics) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "[",
        "{",
        '{"target": ',
        "null",
        "[1, 2, 3]",
        '"just a string"',
        "{" * 300 + "}" * 300,
        '{"target": {"path": 12, "namespace": ["x"]}, "agent": []}',
        '{"feature": {"network": {"incoming": {"port_mapping": [[1], "x", [1, 2, 3]]}}}}',
        '{"a\\ud800": "\\u0000", "\u202e": 1e999}',
        '{"agent": {"ttl": -1, "startup_timeout": 99999999999999999999999}}',
        "\x00\x01\x02 binary \ufeff",
    ],
)
async def test_odd_input_never_reaches_the_user_as_an_error(
    client: RecordingClient, docs: Documents, text: str
) -> None:
    uri = docs.open("mirrord.json", text)
    diagnostics = await wait_for_version(client, uri, 1)
    assert all(d.source == "mirrord" for d in diagnostics)
    assert all(d.code != "internal-error" for d in diagnostics)
    assert not [m for m in client.messages if m.type == types.MessageType.Error]
