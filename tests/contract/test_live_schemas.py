"""Real server answers, over stdio against the simulated cluster, checked against the
JSON Schemas of the contract: every `mirrord/*` request's params and result, the
`mirrord/sessionEnded` notification and the error data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mirrord_ide.contract import contract
from mirrord_simcluster.testing import SimCluster
from reliability.cluster_support import SEED
from support.rpc import RawClient, ResponseError, server_env, spawn_initialized

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def validator(*path: str) -> Draft202012Validator:
    document = contract()
    schema: Any = document
    for part in path:
        schema = schema[part]
    return Draft202012Validator({"$defs": document["$defs"], **schema})


def check(value: Any, *path: str) -> None:
    errors = sorted(validator(*path).iter_errors(value), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors) + f" in {value}"


async def call(client: RawClient, method: str, params: dict[str, Any]) -> Any:
    check(params, "requests", method, "params")
    result = await client.request(method, params, timeout=30)
    check(result, "requests", method, "result")
    return result


async def test_every_request_answers_in_the_contracts_shapes(
    sim_cluster_factory: Callable[..., SimCluster], tmp_path: Path
) -> None:
    cluster = sim_cluster_factory(SEED)
    client = await spawn_initialized(server_env(cluster.kubeconfig_path), tmp_path)
    try:
        # The builtin engine: the machine's own mirrord CLI must not decide this test.
        client.notify(
            "workspace/didChangeConfiguration", {"settings": {"mirrord": {"engine": "builtin"}}}
        )
        config = tmp_path / ".mirrord" / "mirrord.json"
        config.parent.mkdir()
        config.write_text('{\n  "feature": {"network": {"incoming": "mirror"}}\n}\n')
        uri = config.as_uri()

        namespaces = await call(client, "mirrord/listNamespaces", {})
        assert "shop" in namespaces["namespaces"]
        targets = await call(client, "mirrord/listTargets", {"namespace": "shop", "configUri": uri})
        assert targets["targets"]
        await call(client, "mirrord/listTargets", {"allNamespaces": True})
        picker = await call(
            client, "mirrord/targetPickerItems", {"configUri": uri, "namespace": "shop"}
        )
        assert [i for i in picker["items"] if i["kind"] == "targetless"]

        path = next(t["path"] for t in targets["targets"] if t["available"])
        session = await call(
            client,
            "mirrord/startSession",
            {"configUri": uri, "target": path, "namespace": "shop", "env": {"A": "1"}},
        )
        assert session["engine"] == "builtin"
        listed = await call(client, "mirrord/listSessions", {})
        assert [s["sessionId"] for s in listed["sessions"]] == [session["sessionId"]]
        stopped = await call(client, "mirrord/stopSession", {"sessionId": session["sessionId"]})
        assert stopped == {"stopped": True}
        deadline = asyncio.get_running_loop().time() + 10
        while not client.notifications("mirrord/sessionEnded"):
            assert asyncio.get_running_loop().time() < deadline, "no mirrord/sessionEnded"
            await asyncio.sleep(0.05)
        for ended in client.notifications("mirrord/sessionEnded"):
            check(ended["params"], "notifications", "mirrord/sessionEnded", "params")

        edit = await call(
            client, "mirrord/setTarget", {"configUri": uri, "target": path, "namespace": "shop"}
        )
        assert set(edit["edit"]) == {"changes"}
        missing = (tmp_path / "new.mirrord.yaml").as_uri()
        created = await call(client, "mirrord/setTarget", {"configUri": missing, "target": None})
        assert set(created["edit"]) == {"documentChanges"}

        codes = contract()["errors"]["codes"]
        for method, params, kind in [
            ("mirrord/listTargets", {"namespace": "nowhere"}, "not-found"),
            ("mirrord/setTarget", {"configUri": uri, "target": "pods/x"}, "invalid-config"),
        ]:
            with pytest.raises(ResponseError) as caught:
                await client.request(method, params, timeout=30)
            check(caught.value.data, "errors", "data")
            assert caught.value.kind == kind
            assert caught.value.code == codes[kind]
    finally:
        await client.close()
