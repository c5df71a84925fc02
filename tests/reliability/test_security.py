"""Security: credentials never leave the process except where the contract
puts them, names are validated before any API call, and the product works with
exactly the RBAC rules docs/security.md lists."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mirrord_simcluster.testing import SimCluster, running_cluster
from support.cluster import cluster_fixture
from support.rpc import RawClient, ResponseError, server_env

from .cluster_support import (
    ADMIN_TOKEN,
    RULES,
    SECRET_VALUE,
    SEED,
    STRIPE_VALUE,
    TARGET,
    client_key_kubeconfig,
    leftover_checks,
    leftover_checks_done,
    seed_with,
    start_server,
    wait_no_agents,
    wait_quiet,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


cluster = cluster_fixture(SEED, scope="function")


def key_fragments(key_pem: bytes) -> list[str]:
    """Pieces of a PEM key that would show up if any part of it were logged."""
    body = [line for line in key_pem.decode().splitlines() if line and "-----" not in line]
    encoded = base64.b64encode(key_pem).decode()
    return [*body, encoded[20:60]]


async def expect_error(client: RawClient, method: str, params: dict[str, Any]) -> ResponseError:
    try:
        await client.request(method, params, timeout=60)
    except ResponseError as error:
        return error
    raise AssertionError(f"{method} {params} succeeded")


async def test_no_credentials_in_logs_errors_or_diagnostics(
    cluster: SimCluster, tmp_path: Path
) -> None:
    kubeconfig, key_pem = client_key_kubeconfig(cluster, tmp_path / "kubeconfig")
    expired = cluster.kubeconfig_for("expired", "shop")
    secrets = [ADMIN_TOKEN, SECRET_VALUE, STRIPE_VALUE, cluster.token_for("expired")]
    secrets += key_fragments(key_pem)

    root = tmp_path / "ws"
    (root / ".mirrord").mkdir(parents=True)
    client = await start_server(kubeconfig, root)
    try:
        # Success, then failures of every kind.
        await client.request("mirrord/listTargets", {"namespace": "shop"})
        await expect_error(client, "mirrord/listTargets", {"namespace": "nope"})
        started = await client.request(
            "mirrord/startSession", {"target": TARGET, "namespace": "shop"}, timeout=60
        )
        assert started["env"]["DB_PASSWORD"] == SECRET_VALUE  # the contract's one place
        await client.request("mirrord/stopSession", {"sessionId": started["sessionId"]})
        # The API failing while the secrets are read, and while the agent starts.
        cluster.faults.add(resource="secrets", error_rate=1.0)
        cluster.faults.add(resource="jobs", verb="create", error_rate=1.0)
        await expect_error(client, "mirrord/startSession", {"target": TARGET, "namespace": "shop"})
        cluster.faults.clear()
        await expect_error(
            client, "mirrord/startSession", {"target": "deployment/missing", "namespace": "shop"}
        )
        # A config document naming a target that does not exist (live checks).
        uri = (root / ".mirrord" / "mirrord.json").as_uri()
        client.open(uri, json.dumps({"target": {"path": "pod/ghost", "namespace": "shop"}}))
        await client.diagnostics(uri, 1)
        await asyncio.sleep(1.0)  # the live checks' re-publication
        # Settings switching to an expired token: unauthorized, token not echoed.
        client.notify(
            "workspace/didChangeConfiguration",
            {"settings": {"mirrord": {"kubeconfig": str(expired)}}},
        )
        error = await expect_error(client, "mirrord/listTargets", {"namespace": "shop"})
        assert error.kind == "unauthorized"
        await client.close()
    finally:
        await client.kill()
    assert await wait_no_agents(cluster) == []

    # verify-config --cluster with the same kubeconfig, on a config that fails.
    config = tmp_path / "mirrord.json"
    config.write_text(json.dumps({"target": {"path": "deployment/ghost", "namespace": "shop"}}))
    cli = subprocess.run(
        [sys.executable, "-m", "mirrord_ide", "verify-config", str(config), "--cluster"],
        env=server_env(kubeconfig),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not found" in cli.stdout, cli.stdout + cli.stderr

    # Everything but the successful startSession response is searched.
    everything = "\n".join(
        json.dumps(r.message, ensure_ascii=False)
        for r in client.received
        if not (isinstance(r.message.get("result"), dict) and "sessionId" in r.message["result"])
    )
    everything += client.stderr.decode("utf-8", "replace") + cli.stdout + cli.stderr
    assert "error" in everything and len(everything) > 1000  # there was something to search
    leaked = [s for s in secrets if s in everything]
    assert leaked == []


async def test_invalid_agent_namespace_rejected_before_any_request(cluster: SimCluster) -> None:
    client = await start_server(cluster.kubeconfig_path)
    try:
        # Start-up's own request (the check for leftover agents) comes first.
        for _ in range(200):
            if cluster.requests.count("GET", "/apis/batch/v1/jobs"):
                break
            await asyncio.sleep(0.05)
        await wait_quiet(cluster)
        before = len(cluster.requests)
        for bad in ("Agents!", "a" * 64, "../kube-system", "-x", "ns/with/slash"):
            error = await expect_error(
                client,
                "mirrord/startSession",
                {"target": TARGET, "namespace": "shop", "agentNamespace": bad},
            )
            assert error.kind == "invalid-config", error.error
            assert "agent namespace" in error.data["message"]
        for bad in ("Shop", "x" * 64):
            error = await expect_error(
                client, "mirrord/startSession", {"target": TARGET, "namespace": bad}
            )
            assert error.kind in ("invalid-config", "not-found"), error.error
        await asyncio.sleep(0.3)
        assert len(cluster.requests) == before, cluster.requests.records()[before:]
    finally:
        await client.close()


# -- minimal RBAC ---------------------------------------------------------------------


async def run_flow(cluster: SimCluster, user: str) -> dict[str, Any]:
    """listTargets, targetPickerItems, startSession (using the port-forward), stopSession."""
    checks = leftover_checks(cluster)
    client = await start_server(cluster.kubeconfig_for(user, "shop"))
    out: dict[str, Any] = {"errors": {}}
    try:
        for method, params in [
            ("mirrord/listTargets", {"namespace": "shop"}),
            ("mirrord/targetPickerItems", {"namespace": "shop"}),
            ("mirrord/startSession", {"target": TARGET, "namespace": "shop"}),
        ]:
            try:
                out[method] = await client.request(method, params, timeout=60)
            except ResponseError as error:
                out["errors"][method] = error
        session = out.get("mirrord/startSession")
        if session is not None:
            host, port = session["agent"]["localAddress"].rsplit(":", 1)
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), 5)
            writer.write(b"\x00")
            await writer.drain()
            await asyncio.sleep(0.3)
            writer.close()
            stopped = await client.request(
                "mirrord/stopSession", {"sessionId": session["sessionId"]}
            )
            out["stopped"] = stopped["stopped"]
        # The check for agents left by exited servers, a moment after start-up.
        await leftover_checks_done(cluster, checks + 1)
        await wait_quiet(cluster, 0.4)
    finally:
        await client.close()
    out["denied"] = sorted(
        {
            f"{r.method} {r.path}"
            for r in cluster.requests.records()
            if r.user == user and r.status in (401, 403)
        }
    )
    out["left"] = await wait_no_agents(cluster)
    return out


async def test_works_with_exactly_the_documented_rules() -> None:
    with running_cluster(seed_with(least=list(RULES.values()))) as cluster:
        out = await run_flow(cluster, "least")
    assert out["errors"] == {}
    paths = {t["path"] for t in out["mirrord/listTargets"]["targets"]}
    assert {"deployment/api", "deployment/web", "pod/solo"} <= paths and len(paths) == 6
    messages = [i for i in out["mirrord/targetPickerItems"]["items"] if i["kind"] == "message"]
    assert messages == []
    assert out["mirrord/startSession"]["env"]["DB_PASSWORD"] == SECRET_VALUE
    assert out["mirrord/startSession"].get("warnings") == []
    assert out["stopped"] is True
    assert out["denied"] == []  # not one request was refused: nothing degraded
    assert out["left"] == []


# Without these the flow cannot work: the request fails with `forbidden`.
REQUIRED = {
    "read pods": "mirrord/startSession",
    "read deployments": "mirrord/startSession",
    "create jobs": "mirrord/startSession",
    "port-forward": "mirrord/startSession",  # the server itself connects to the agent
}


@pytest.mark.parametrize("rule", sorted(RULES))
async def test_each_rule_is_needed(rule: str) -> None:
    rules = [r for name, r in RULES.items() if name != rule]
    with running_cluster(seed_with(less=rules)) as cluster:
        out = await run_flow(cluster, "less")
    # Every documented rule is used: without it the cluster refuses a request.
    assert out["denied"], f"nothing was refused without `{rule}`: it is not needed"
    assert out["left"] == []
    if rule in REQUIRED:
        error = out["errors"][REQUIRED[rule]]
        assert error.kind == "forbidden", error.error
        assert "forbidden" in error.data["message"]
    else:
        assert set(out["errors"]) <= {"mirrord/startSession"}


def test_security_doc_lists_every_rule() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in RULES.values():
        for resource in rule["resources"]:
            assert f"`{resource}`" in text, resource
    assert os.path.basename(DOCS) == "security.md"
