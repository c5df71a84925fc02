"""End to end over stdio: `mirrord/listNamespaces`, `mirrord/listTargets` and
`mirrord/targetPickerItems` against the simulated cluster, errors included."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from mirrord_simcluster.testing import SimCluster
from support.cluster import (
    ADMIN,
    EXPIRED,
    HELLO,
    NODEPLOY,
    cluster_fixture,
    container,
    seed,
    workload,
)
from support.server import call, plain, stop_lsp, unreachable_kubeconfig

from .support import CLIENTS, start_client

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

SEED = seed(
    {"name": "default", "deployments": [HELLO]},
    {
        "name": "shop",
        "deployments": [workload("api", "api:1", replicas=2, sidecars=["istio"])],
        "rollouts": [workload("search", "s:1")],
        "pods": [{"name": "crasher", "state": "crashloop", "containers": [container("c", "c:1")]}],
    },
    users=(ADMIN, NODEPLOY, EXPIRED),
    schedule_delay=0.05,
)


cluster = cluster_fixture(SEED)


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=CLIENTS)
async def client(
    request: pytest.FixtureRequest, cluster: SimCluster, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LanguageClient]:
    root = tmp_path_factory.mktemp("ws")
    lsp = await start_client(cluster.kubeconfig_for("admin", "shop"), request.param, root)
    lsp.root = root  # type: ignore[attr-defined]
    yield lsp
    await stop_lsp(lsp)


async def error_of(client: LanguageClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(JsonRpcException) as raised:
        await client.protocol.send_request_async(method, params)
    data = plain(raised.value.data)
    assert isinstance(data, dict), raised.value
    assert "Traceback" not in json.dumps(data)
    return data


@pytest.mark.asyncio(loop_scope="module")
async def test_list_namespaces(client: LanguageClient) -> None:
    result = await call(client, "mirrord/listNamespaces", {})
    assert result == {"namespaces": ["default", "shop"], "current": "shop"}


@pytest.mark.asyncio(loop_scope="module")
async def test_list_targets_current_and_other_namespace(client: LanguageClient) -> None:
    result = await call(client, "mirrord/listTargets", {})
    assert result["namespace"] == "shop"
    paths = [t["path"] for t in result["targets"]]
    assert paths[:2] == ["deployment/api", "rollout/search"]
    assert "pod/crasher" in paths
    crasher = next(t for t in result["targets"] if t["path"] == "pod/crasher")
    assert crasher == {
        "path": "pod/crasher",
        "kind": "pod",
        "name": "crasher",
        "namespace": "shop",
        "container": "c",
        "available": False,
        "reason": "CrashLoopBackOff",
    }
    other = await call(client, "mirrord/listTargets", {"namespace": "default"})
    assert other["namespace"] == "default"
    assert [t["path"] for t in other["targets"]][0] == "deployment/hello"


@pytest.mark.asyncio(loop_scope="module")
async def test_list_targets_all_namespaces(client: LanguageClient) -> None:
    result = await call(client, "mirrord/listTargets", {"allNamespaces": True})
    assert {t["namespace"] for t in result["targets"]} == {"default", "shop"}


@pytest.mark.asyncio(loop_scope="module")
async def test_config_rules_out_types(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    config = root / "copy.mirrord.json"
    config.write_text(json.dumps({"feature": {"copy_target": True}}))
    result = await call(client, "mirrord/listTargets", {"configUri": config.as_uri()})
    search = next(t for t in result["targets"] if t["path"] == "rollout/search")
    assert search["available"] is False and "copy_target" in search["reason"]
    picker = await call(client, "mirrord/targetPickerItems", {"configUri": config.as_uri()})
    [targetless] = [i for i in picker["items"] if i["kind"] == "targetless"]
    assert targetless["available"] is False


@pytest.mark.asyncio(loop_scope="module")
async def test_unknown_namespace_is_a_not_found_error(client: LanguageClient) -> None:
    data = await error_of(client, "mirrord/listTargets", {"namespace": "shpo"})
    assert data["kind"] == "not-found"
    assert "shpo" in data["message"] and "shop" in data["hint"]
    picker = await call(client, "mirrord/targetPickerItems", {"namespace": "shpo"})
    kinds = [i["kind"] for i in picker["items"]]
    assert kinds.count("targetless") == 1 and "target" not in kinds
    assert any(i["kind"] == "message" and "shpo" in i["label"] for i in picker["items"])


@pytest.mark.asyncio(loop_scope="module")
async def test_picker_items(client: LanguageClient) -> None:
    result = await call(client, "mirrord/targetPickerItems", {})
    assert result["namespace"] == "shop" and result["skipDialog"] is False
    items = result["items"]
    [targetless] = [i for i in items if i["kind"] == "targetless"]
    assert targetless["label"] == 'No Target ("targetless")' and targetless["path"] is None
    separators = [i["label"] for i in items if i["kind"] == "separator"]
    assert separators == ["Deployments", "Rollouts", "Pods", "Namespaces"]
    assert any(i["kind"] == "namespace" and i.get("namespace") == "default" for i in items)
    filtered = await call(client, "mirrord/targetPickerItems", {"filter": "crash"})
    assert [i["path"] for i in filtered["items"] if i["kind"] == "target"] == ["pod/crasher"]


@pytest.mark.asyncio(loop_scope="module")
async def test_picker_preselection_request_env_config(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    config = root / ".mirrord" / "mirrord.json"
    config.parent.mkdir(exist_ok=True)
    config.write_text(json.dumps({"target": {"path": "deployment/api", "namespace": "shop"}}))
    uri = config.as_uri()
    by_config = await call(client, "mirrord/targetPickerItems", {"configUri": uri})
    assert (by_config["skipDialog"], by_config["preselected"]) == (True, "deployment/api")
    by_env = await call(
        client,
        "mirrord/targetPickerItems",
        {"configUri": uri, "env": {"MIRRORD_IMPERSONATED_TARGET": "targetless"}},
    )
    assert by_env["preselected"] == "targetless"
    by_request = await call(
        client,
        "mirrord/targetPickerItems",
        {
            "configUri": uri,
            "target": "pod/crasher",
            "env": {"MIRRORD_IMPERSONATED_TARGET": "targetless"},
        },
    )
    assert by_request["preselected"] == "pod/crasher"


@pytest.mark.asyncio(loop_scope="module")
async def test_picker_reads_the_open_document_not_the_file(client: LanguageClient) -> None:
    from lsprotocol import types

    root: Path = client.root  # type: ignore[attr-defined]
    path = root / "open.mirrord.json"
    path.write_text("{}")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="json", version=1, text='{"target": "targetless"}'
            )
        )
    )
    result = await call(client, "mirrord/targetPickerItems", {"configUri": uri})
    assert result["preselected"] == "targetless"


@pytest.mark.asyncio(loop_scope="module")
async def test_bad_config_uri_is_invalid_config(client: LanguageClient) -> None:
    data = await error_of(client, "mirrord/listTargets", {"configUri": "file:///nope/mirrord.json"})
    assert data["kind"] == "invalid-config"


@pytest.mark.parametrize(
    ("user", "method", "kind"),
    [
        ("expired", "mirrord/listTargets", "unauthorized"),
        ("expired", "mirrord/listNamespaces", "unauthorized"),
        ("nodeploy", "mirrord/listTargets", None),
    ],
)
async def test_errors_carry_their_kind(
    cluster: SimCluster, tmp_path: Path, user: str, method: str, kind: str | None
) -> None:
    lsp = await start_client(cluster.kubeconfig_for(user, "shop"), "visual-studio-code", tmp_path)
    try:
        if kind is None:
            result = await call(lsp, method, {})
            assert result["hidden"] == ["deployment"]
            assert all(t["kind"] != "deployment" for t in result["targets"])
            picker = await call(lsp, "mirrord/targetPickerItems", {})
            assert any(
                i["kind"] == "message" and "deployments" in i["label"] for i in picker["items"]
            )
        else:
            data = await error_of(lsp, method, {})
            assert data["kind"] == kind
            assert cluster.token_for(user) not in json.dumps(data)
            picker = await call(lsp, "mirrord/targetPickerItems", {})
            assert [i["kind"] for i in picker["items"]][:2] == ["message", "targetless"]
    finally:
        await stop_lsp(lsp)


async def test_unreachable_and_slow_clusters_answer_within_the_deadline(
    cluster: SimCluster, tmp_path: Path
) -> None:
    import time

    dead = unreachable_kubeconfig(tmp_path / "dead-kubeconfig")
    lsp = await start_client(dead, "visual-studio-code", tmp_path)
    try:
        data = await error_of(lsp, "mirrord/listNamespaces", {})
        assert data["kind"] == "unreachable" and "KUBECONFIG" in data["hint"]
        picker = await call(lsp, "mirrord/targetPickerItems", {})
        assert [i["kind"] for i in picker["items"]] == ["message", "targetless"]
    finally:
        await stop_lsp(lsp)

    rule = cluster.faults.add(resource="pods", verb="list", latency=4.0)
    lsp = await start_client(
        cluster.kubeconfig_for("admin", "shop"), "visual-studio-code", tmp_path
    )
    try:
        started = time.monotonic()
        data = await error_of(lsp, "mirrord/listTargets", {"timeout": 1.0})
        assert data["kind"] == "timeout"
        assert time.monotonic() - started < 2.5
        # The server is still healthy afterwards.
        assert (await call(lsp, "mirrord/listNamespaces", {}))["current"] == "shop"
    finally:
        cluster.faults.rules.remove(rule)
        await stop_lsp(lsp)


@pytest.mark.asyncio(loop_scope="module")
async def test_live_diagnostics_name_missing_targets(client: LanguageClient) -> None:
    import asyncio

    from .support import Documents

    docs = Documents(client, client.root)  # type: ignore[attr-defined]
    text = '{\n  "target": {\n    "path": "deployment/apii",\n    "namespace": "shop"\n  }\n}\n'
    uri = docs.open("mirrord.json", text)
    deadline = asyncio.get_running_loop().time() + 20
    found: list[Any] = []
    while not found:
        assert asyncio.get_running_loop().time() < deadline, "no live diagnostic arrived"
        await asyncio.sleep(0.1)
        found = [d for d in client.diagnostics.get(uri, []) if d.code == "target-not-found"]
    [diagnostic] = found
    assert diagnostic.severity == 2  # warning
    assert "deployment/api" in diagnostic.message
    assert diagnostic.range.start.line == 2  # the `path` value
    assert text.splitlines()[2][diagnostic.range.start.character :].startswith('"deployment/apii"')


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_live_paths_and_namespaces(client: LanguageClient) -> None:
    from lsprotocol import types

    from .support import Documents, after

    docs = Documents(client, client.root)  # type: ignore[attr-defined]
    text = '{\n  "target": {\n    "path": "",\n    "namespace": ""\n  }\n}\n'
    uri = docs.open("mirrord.json", text)

    async def labels(position: types.Position) -> list[str]:
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=position
            )
        )
        items = result.items if isinstance(result, types.CompletionList) else result or []
        return [i.label for i in items]

    paths = await labels(after(text, '"path": "'))
    assert "deployment/api" in paths and "pod/crasher" in paths
    namespaces = await labels(after(text, '"namespace": "'))
    assert {"default", "shop"} <= set(namespaces)
