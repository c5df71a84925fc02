"""`mirrord/setTarget` over stdio: the returned WorkspaceEdit, applied as an editor
applies it, writes the target in mirrord's forms and keeps the rest of the file."""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from lsprotocol import types

from support.rpc import RawClient, ResponseError, server_env, spawn_initialized

from .support import apply_edits

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(60)]

_CASES = itertools.count(1)


class Docs:
    """Config files under fresh folders, opened in the editor or only on disk."""

    def __init__(self, client: RawClient, root: Path) -> None:
        self.client = client
        self.root = root

    def uri(self, name: str) -> str:
        return (self.root / f"case{next(_CASES)}" / name).as_uri()

    def open(self, name: str, text: str, language: str = "json") -> str:
        uri = self.uri(name)
        self.client.open(uri, text, language=language)
        return uri


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RawClient]:
    root = tmp_path_factory.mktemp("set-target")
    raw = await spawn_initialized(server_env(root / "no-kubeconfig"), root)
    raw.root = root  # type: ignore[attr-defined]
    yield raw
    await raw.close()


@pytest.fixture
def docs(client: RawClient) -> Docs:
    return Docs(client, client.root)  # type: ignore[attr-defined]


async def set_target(client: RawClient, **params: Any) -> dict[str, Any]:
    result = await client.request("mirrord/setTarget", params)
    assert isinstance(result, dict) and set(result) == {"edit"}
    edit = result["edit"]
    assert isinstance(edit, dict)
    return edit


def text_edits(edits: list[dict[str, Any]]) -> list[types.TextEdit]:
    def pos(p: dict[str, int]) -> types.Position:
        return types.Position(line=p["line"], character=p["character"])

    return [
        types.TextEdit(
            range=types.Range(start=pos(e["range"]["start"]), end=pos(e["range"]["end"])),
            new_text=e["newText"],
        )
        for e in edits
    ]


async def edited(client: RawClient, uri: str, text: str, **params: Any) -> str:
    edit = await set_target(client, configUri=uri, **params)
    assert set(edit) == {"changes"}
    assert set(edit["changes"]) == {uri}
    return apply_edits(text, text_edits(edit["changes"][uri]))


def on_disk(docs: Docs, name: str, text: str) -> tuple[str, Path]:
    """A config that exists only as a file (not open in the editor)."""
    uri = docs.uri(name)
    path = Path(uri.removeprefix("file://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return uri, path


async def test_json_string_form_keeps_the_layout(client: RawClient, docs: Docs) -> None:
    text = '{\n  "target": "pod/old",\n  "agent": {\n    "ttl": 3\n  }\n}\n'
    uri = docs.open("mirrord.json", text)
    after = await edited(client, uri, text, target="deploy/api/container/app")
    # `deploy` is written in its canonical spelling; nothing else moves.
    assert after == text.replace('"pod/old"', '"deployment/api/container/app"')


async def test_json_namespace_turns_the_string_into_path_and_namespace(
    client: RawClient, docs: Docs
) -> None:
    text = '{\n  "agent": {"ttl": 3}\n}\n'
    uri, _ = on_disk(docs, "mirrord.json", text)
    after = await edited(client, uri, text, target="pod/web", namespace="shop")
    assert after == (
        '{\n  "target": {"path": "pod/web", "namespace": "shop"},\n  "agent": {"ttl": 3}\n}\n'
    )


async def test_json_path_namespace_form_is_edited_member_by_member(
    client: RawClient, docs: Docs
) -> None:
    text = '{\n  "target": {\n    "path": "pod/a",\n    "namespace": "default"\n  }\n}\n'
    uri = docs.open("mirrord.json", text)
    after = await edited(client, uri, text, target="pod/b")
    assert after == text.replace('"pod/a"', '"pod/b"')  # the namespace stays
    after = await edited(client, uri, text, target=None, namespace="shop")
    assert after == text.replace('"pod/a"', '"targetless"').replace('"default"', '"shop"')


async def test_json_bare_object_keeps_its_form(client: RawClient, docs: Docs) -> None:
    text = '{"target": {"pod": "a", "container": "c"}, "operator": true}'
    uri = docs.open("app.mirrord.json", text)
    after = await edited(client, uri, text, target="statefulset/db/container/pg")
    assert after == ('{"target": {"stateful_set": "db", "container": "pg"}, "operator": true}')
    after = await edited(client, uri, text, target="deployment/api", namespace="shop")
    assert after == (
        '{"target": {"path": {"deployment": "api"}, "namespace": "shop"}, "operator": true}'
    )
    # A bare object cannot say "targetless": the canonical string replaces it.
    after = await edited(client, uri, text, target=None)
    assert after == '{"target": "targetless", "operator": true}'


async def test_toml_with_comments(client: RawClient, docs: Docs) -> None:
    text = (
        "# team config\n"
        "[target]\n"
        "# the service we debug\n"
        'path = "pod/api" # old choice\n'
        "\n"
        "# agent settings\n"
        "[agent]\n"
        "ttl = 3\n"
    )
    uri = docs.open(".mirrord/mirrord.toml", text, language="toml")
    after = await edited(client, uri, text, target="deployment/api", namespace="shop")
    assert after == text.replace(
        'path = "pod/api" # old choice\n',
        'path = "deployment/api" # old choice\nnamespace = "shop"\n',
    )
    assert tomllib.loads(after)["target"] == {"path": "deployment/api", "namespace": "shop"}


async def test_toml_new_key_goes_in_the_root_table(client: RawClient, docs: Docs) -> None:
    text = "# header\nkey = 'k'\n\n# agent settings\n[agent]\nttl = 3\n"
    uri, _ = on_disk(docs, "mirrord.toml", text)
    after = await edited(client, uri, text, target="pod/web")
    assert (
        after == "# header\ntarget = \"pod/web\"\nkey = 'k'\n\n# agent settings\n[agent]\nttl = 3\n"
    )
    only_tables = "# agent settings\n[agent]\nttl = 3\n"
    uri, _ = on_disk(docs, "mirrord.toml", only_tables)
    after = await edited(client, uri, only_tables, target=None, namespace="shop")
    assert after == ('target = { path = "targetless", namespace = "shop" }\n\n' + only_tables)
    assert tomllib.loads(after)["agent"] == {"ttl": 3}


async def test_yaml_with_comments(client: RawClient, docs: Docs) -> None:
    text = "# team config\ntarget:\n  # the service\n  path: pod/api # old\nagent:\n  ttl: 3\n"
    uri = docs.open("mirrord.yaml", text, language="yaml")
    after = await edited(client, uri, text, target="pod/web/container/app", namespace="shop")
    assert after == (
        "# team config\ntarget:\n  # the service\n  path: pod/web/container/app # old\n"
        "  namespace: shop\nagent:\n  ttl: 3\n"
    )


async def test_yaml_string_and_missing_target(client: RawClient, docs: Docs) -> None:
    text = "# c\ntarget: pod/api # chosen\nagent:\n  ttl: 3\n"
    uri = docs.open("mirrord.yml", text, language="yaml")
    after = await edited(client, uri, text, target="label/tier=web,app=api")
    assert after == '# c\ntarget: "label/app=api,tier=web" # chosen\nagent:\n  ttl: 3\n'
    no_target = "# c\nagent:\n  ttl: 3\n"
    uri = docs.open("mirrord.yml", no_target, language="yaml")
    after = await edited(client, uri, no_target, target="pod/web", namespace="shop")
    assert after == "# c\ntarget:\n  path: pod/web\n  namespace: shop\nagent:\n  ttl: 3\n"
    assert yaml.safe_load(after)["target"] == {"path": "pod/web", "namespace": "shop"}


async def test_the_open_document_wins_over_the_file(client: RawClient, docs: Docs) -> None:
    uri, _ = on_disk(docs, "mirrord.json", '{"target": "pod/on-disk"}')
    unsaved = '{"target": "pod/unsaved", "operator": false}'
    client.open(uri, unsaved)
    after = await edited(client, uri, unsaved, target="pod/web")
    assert after == '{"target": "pod/web", "operator": false}'


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (".mirrord/mirrord.json", '{\n  "target": {"path": "pod/web", "namespace": "shop"}\n}\n'),
        ("mirrord.toml", 'target = { path = "pod/web", namespace = "shop" }\n'),
        ("mirrord.yaml", "target:\n  path: pod/web\n  namespace: shop\n"),
    ],
)
async def test_a_missing_file_is_created(
    client: RawClient, docs: Docs, name: str, content: str
) -> None:
    uri = docs.uri(name)
    edit = await set_target(client, configUri=uri, target="pod/web", namespace="shop")
    assert edit == {
        "documentChanges": [
            {"kind": "create", "uri": uri, "options": {"ignoreIfExists": True}},
            {
                "textDocument": {"uri": uri, "version": None},
                "edits": [
                    {
                        "range": {
                            "start": {"line": 0, "character": 0},
                            "end": {"line": 0, "character": 0},
                        },
                        "newText": content,
                    }
                ],
            },
        ]
    }


async def error_of(client: RawClient, **params: Any) -> dict[str, Any]:
    with pytest.raises(ResponseError) as caught:
        await client.request("mirrord/setTarget", params)
    assert caught.value.code == -33005
    return caught.value.data


@pytest.mark.parametrize(
    ("params", "quoted"),
    [
        ({"target": "po/web"}, "po/web"),
        ({"target": "pod/web/extra"}, "pod/web/extra"),
        ({"target": "pod/Web_1"}, "Web_1"),
        ({"target": "pod/web", "namespace": "default/../kube-system"}, "default/../kube-system"),
        ({"target": 3}, "`target`"),
    ],
)
async def test_invalid_targets_and_names_are_invalid_config(
    client: RawClient, docs: Docs, params: dict[str, Any], quoted: str
) -> None:
    text = '{"target": "pod/old"}'
    uri, path = on_disk(docs, "mirrord.json", text)
    data = await error_of(client, configUri=uri, **params)
    assert data["kind"] == "invalid-config"
    assert quoted in data["message"]
    assert path.read_text(encoding="utf-8") == text


async def test_broken_config_and_bad_uri_are_invalid_config(client: RawClient, docs: Docs) -> None:
    uri, _ = on_disk(docs, "mirrord.json", '{"target": "pod/old",,}')
    data = await error_of(client, configUri=uri, target="pod/web")
    assert data["kind"] == "invalid-config"
    assert "syntax error" in data["message"]
    assert data["hint"] == "set `target` by hand to pod/web"
    data = await error_of(client, configUri=docs.uri("mirrord.ini"), target="pod/web")
    assert data["kind"] == "invalid-config"
    data = await error_of(client, target="pod/web")
    assert data["kind"] == "invalid-config"
