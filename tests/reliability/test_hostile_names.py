"""Hostile names at every entry: `ls -n`, the environment, config files,
`verify-config --cluster`, and the language server's listTargets, targetPickerItems,
completion and live checks. Each is refused with an `invalid-config` answer quoting
the name, and the simulated cluster's request log shows that no request ever left
with a path built from one, and that the watch request rate stays bounded."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mirrord_simcluster.testing import SimCluster
from support.cluster import ADMIN, HELLO, container, seed, workload
from support.rpc import ResponseError, server_env
from support.server import run_cli

from .cluster_support import start_server

pytestmark = pytest.mark.timeout(180)

SEED = seed(
    {"name": "default", "deployments": [HELLO]},
    {"name": "shop", "deployments": [workload("api", "api:1")]},
    {
        "name": "kube-system",
        "deployments": [
            {"name": "only-in-kube-system", "replicas": 1, "containers": [container("c", "c:1")]}
        ],
    },
    users=(ADMIN | {"token": "admin-token-Hn5"},),
)

# Namespaces a test asks about on purpose; every request must stay inside them.
ALLOWED_NAMESPACES = {"default", "shop"}

# One name (or more) per class of bad input.
HOSTILE: dict[str, str] = {
    "path separator": "default/../kube-system",
    "backslash": "default\\..\\kube-system",
    "dot-dot": "..",
    "dot": ".",
    "query": "default?watch=1",
    "fragment": "default#x",
    "percent escape": "default%2F..%2Fkube-system",
    "encoded dot-dot": "%2e%2e",
    "trailing space": "default ",
    "inner space": "kube system",
    "newline": "default\nkube-system",
    "upper case": "Kube-System",
    "too long": "a" * 64,
    "cyrillic look-alike": "kube-s\u0443stem",
    "fullwidth look-alike": "\uff44efault",
    "zero-width space": "default\u200b",
    "leading dash": "-default",
    "trailing dash": "default-",
}
HOSTILE_TARGETS = [
    "pod/..",
    "deployment/Api",
    "deployment/default%2F..%2Fkube-system",
    "pod/web?watch=1",
    "pod/web/container/App",
    "pod/web/container/a.b",
    "service/9api",
]
# Not representable in argv or the environment; sent over LSP only.
LSP_ONLY = {"NUL byte": "default\x00kube-system"}

_SEGMENT = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


def assert_clean_requests(cluster: SimCluster) -> None:
    """Every API path the server sent is made of valid names, and names only the
    namespaces the tests asked about."""
    records = cluster.requests.records()
    assert records, "the tests made no request at all"
    for record in records:
        parts = record.path.strip("/").split("/")
        assert parts[0] in ("api", "apis", "version", "openapi"), record
        for part in parts:
            assert _SEGMENT.fullmatch(part) and part not in (".", ".."), record
        if "namespaces" in parts[:-1]:
            namespace = parts[parts.index("namespaces") + 1]
            assert namespace in ALLOWED_NAMESPACES, record
        # A query string is only what the client composes, never a name's tail.
        assert "watch=1" not in record.query, record


def watch_rate(cluster: SimCluster, since: float) -> float:
    """Watch requests per second since `since` (wall-clock)."""
    watches = [r for r in cluster.requests.records() if r.at >= since and "watch=" in r.query]
    return len(watches) / max(time.time() - since, 1e-3)


def _cli(kubeconfig: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = run_cli(*args, env=server_env(kubeconfig, **(env or {})))
    return done.returncode, done.stdout + done.stderr


def _shown(name: str) -> str:
    """How a message quotes `name` (control characters escaped)."""
    from mirrord_ide.names import show

    return show(name)


def _assert_refused(code: int, output: str, name: str, *needles: str) -> None:
    assert code != 0, output
    assert "Traceback" not in output, output
    assert "is not a valid namespace name" in output, output
    assert _shown(name) in output.replace("\\\\", "\\"), output
    for needle in needles:
        assert needle in output, output
    assert "only-in-kube-system" not in output, output


@pytest.mark.slow
def test_command_line_refuses_hostile_names(sim_cluster_factory: Any, tmp_path: Path) -> None:
    cluster: SimCluster = sim_cluster_factory(SEED)
    kubeconfig = cluster.kubeconfig_for("admin")
    cluster.requests.clear()

    def flag(name: str) -> tuple[str, int, str]:
        code, output = _cli(kubeconfig, "ls", f"--namespace={name}")
        return name, code, output

    with ThreadPoolExecutor(max_workers=4) as pool:
        for name, code, output in pool.map(flag, HOSTILE.values()):
            _assert_refused(code, output, name, "--namespace")

    # The environment and the config file are entries too, each named in the message.
    code, output = _cli(
        kubeconfig, "ls", env={"MIRRORD_TARGET_NAMESPACE": "default/../kube-system"}
    )
    _assert_refused(code, output, "default/../kube-system", "MIRRORD_TARGET_NAMESPACE")

    config = tmp_path / "mirrord.json"
    config.write_text(json.dumps({"target": {"namespace": "default?watch=1"}}))
    code, output = _cli(kubeconfig, "ls", "-f", str(config))
    _assert_refused(code, output, "default?watch=1")

    # verify-config --cluster must not confirm a target found through `..`.
    config.write_text(
        json.dumps({"target": {"path": "deployment/only-in-kube-system", "namespace": ".."}})
    )
    code, output = _cli(kubeconfig, "verify-config", "--cluster", str(config))
    assert code != 0 and "Traceback" not in output, output
    assert "`..` is not a valid namespace name" in output, output
    for name in (".", "Kube-System", "a" * 64):
        config.write_text(
            json.dumps({"target": {"path": "deployment/hello"}, "agent": {"namespace": name}})
        )
        code, output = _cli(kubeconfig, "verify-config", "--cluster", str(config))
        assert code != 0 and "is not a valid namespace name" in output, output

    assert_clean_requests(cluster)


async def _expect_invalid(call: Any, name: str) -> None:
    with pytest.raises(ResponseError) as info:
        await call
    assert info.value.kind == "invalid-config", info.value.error
    message = info.value.data.get("message", "")
    assert "is not a valid" in message and _shown(name) in message, message


def _targets_in(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i.get("kind") == "target"]


@pytest.mark.slow
def test_language_server_refuses_hostile_names(sim_cluster_factory: Any, tmp_path: Path) -> None:
    cluster: SimCluster = sim_cluster_factory(SEED)
    kubeconfig = cluster.kubeconfig_for("admin")
    names = {**HOSTILE, **LSP_ONLY}

    async def scenario() -> None:
        client = await start_server(kubeconfig, tmp_path)
        try:
            # Legitimate use first, so watches are running while the hostile names arrive.
            listing = await client.request("mirrord/listTargets", {"namespace": "shop"})
            assert "deployment/api" in [t["path"] for t in listing["targets"]]
            started = time.time()

            for name in names.values():
                await _expect_invalid(
                    client.request("mirrord/listTargets", {"namespace": name}), name
                )
                await _expect_invalid(
                    client.request(
                        "mirrord/listTargets", {"namespace": name, "allNamespaces": True}
                    ),
                    name,
                )
                # The picker always answers; a bad name is refused or explained, never used.
                try:
                    picker = await client.request("mirrord/targetPickerItems", {"namespace": name})
                except ResponseError as error:
                    assert error.kind == "invalid-config", error.error
                else:
                    _assert_picker_explains(picker, name)
                picker = await client.request(
                    "mirrord/targetPickerItems", {"env": {"MIRRORD_TARGET_NAMESPACE": name}}
                )
                _assert_picker_explains(picker, name, "MIRRORD_TARGET_NAMESPACE")
                # Sessions refuse them too, before anything is created.
                for params in (
                    {"target": "deployment/hello", "namespace": name},
                    {"target": "deployment/hello", "agentNamespace": name},
                    {"target": None, "namespace": name},
                ):
                    await _expect_invalid(client.request("mirrord/startSession", params), name)

            # Target paths whose names Kubernetes would reject, from the request or
            # the environment: never preselected, never launched.
            for target in HOSTILE_TARGETS:
                env = {"MIRRORD_IMPERSONATED_TARGET": target}
                picker = await client.request("mirrord/targetPickerItems", {"env": env})
                assert picker["preselected"] is None and not picker["skipDialog"], picker
                labels = [str(i["label"]) for i in picker["items"] if i["kind"] == "message"]
                assert any("is not a valid" in m for m in labels), labels
                for params in ({"target": target}, {"env": env}):
                    with pytest.raises(ResponseError) as info:
                        await client.request("mirrord/startSession", params)
                    assert info.value.kind == "invalid-config", info.value.error
                    assert "is not a valid" in info.value.data.get("message", "")

            # A config naming a hostile namespace: diagnostics say so, completion and
            # the live checks do not look anywhere else.
            config = tmp_path / "mirrord.json"
            for version, name in enumerate(HOSTILE.values(), start=1):
                text = json.dumps(
                    {"target": {"path": "deployment/only-in-kube-system", "namespace": name}},
                    indent=2,
                )
                config.write_text(text)
                uri = config.as_uri()
                if version == 1:
                    client.open(uri, text, version)
                else:
                    client.replace(uri, text, version)
                published = await client.diagnostics(uri, version, timeout=20)
                messages = [d["message"] for d in published.message["params"]["diagnostics"]]
                assert any("is not a valid namespace name" in m for m in messages), messages
                assert not any("found" in m and "kube-system" in m for m in messages), messages
                line = text.splitlines().index(
                    next(ln for ln in text.splitlines() if '"path"' in ln)
                )
                completion = await client.request(
                    "textDocument/completion",
                    {"textDocument": {"uri": uri}, "position": {"line": line, "character": 14}},
                )
                items = completion.get("items", []) if isinstance(completion, dict) else completion
                labels = [str(i.get("label")) for i in items or []]
                assert "deployment/only-in-kube-system" not in labels, labels
                await _expect_invalid(
                    client.request("mirrord/listTargets", {"configUri": uri}), name
                )

            # No retry storm: watches are few while the hostile names keep arriving.
            assert watch_rate(cluster, started) < 5.0
            await asyncio.sleep(2.0)
            quiet_since = time.time()
            await asyncio.sleep(3.0)
            assert watch_rate(cluster, quiet_since) < 2.0
        finally:
            await client.close()

    asyncio.run(scenario())
    assert_clean_requests(cluster)
    assert not [r for r in cluster.requests.records() if r.method != "GET"]


def _assert_picker_explains(picker: dict[str, Any], name: str, *needles: str) -> None:
    items = picker["items"]
    text = " ".join(str(i.get("label", "")) + " " + str(i.get("detail", "")) for i in items)
    assert any(i["kind"] == "targetless" for i in items), items
    assert "only-in-kube-system" not in text
    for target in _targets_in(items):
        assert target["namespace"] in ALLOWED_NAMESPACES, target
    messages = [i for i in items if i.get("kind") == "message"]
    assert any("is not a valid namespace name" in str(m.get("label")) for m in messages), items
    assert _shown(name) in text.replace("\\\\", "\\"), text
    for needle in needles:
        assert needle in text, text


def test_request_log_check_catches_bad_paths(sim_cluster_factory: Any) -> None:
    """The log check itself: a path through another namespace fails it."""
    cluster: SimCluster = sim_cluster_factory(SEED)
    cluster.requests.clear()
    cluster.requests.add("GET", "/api/v1/namespaces/kube-system/pods", "", "admin", 200)
    with pytest.raises(AssertionError):
        assert_clean_requests(cluster)
    cluster.requests.clear()
    cluster.requests.add("GET", "/api/v1/namespaces/default/pods", "watch=1", "admin", 200)
    with pytest.raises(AssertionError):
        assert_clean_requests(cluster)
    cluster.requests.clear()
    cluster.requests.add("GET", "/api/v1/namespaces/default/pods", "watch=true", "admin", 200)
    assert_clean_requests(cluster)
