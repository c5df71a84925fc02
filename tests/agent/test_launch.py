"""Agent launch over the simulated cluster: targets, errors, waiting, cleanup."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from mirrord_ide.agent.client import connect_agent
from mirrord_ide.agent.sessions import SessionManager, StartRequest
from mirrord_ide.config.validate import validate_config
from mirrord_ide.errors import Conflict, Forbidden, InvalidConfig, NotFound, Timeout
from mirrord_simcluster.testing import SimCluster

from .support import agent_objects, make_kube, manager_for, wait_no_agents

pytestmark = pytest.mark.timeout(60)


def cfg(value: dict[str, Any]) -> Any:
    result = validate_config(value)
    assert result.config is not None and not result.errors, result.problems
    return result.config


def the_job(cluster: SimCluster, namespace: str = "shop") -> dict[str, Any]:
    jobs = [
        j for j in cluster.store.list("jobs", namespace)
        if j["metadata"]["labels"].get("app") == "mirrord"
    ]  # fmt: skip
    assert len(jobs) == 1, jobs
    return jobs[0]


async def exchange(address: str) -> tuple[str, dict[str, str]]:
    """Speak the agent protocol through the session's listener: the agent's
    version and its process env."""
    host, port = address.rsplit(":", 1)
    connection = await connect_agent(host, int(port), 5)
    try:
        version = await connection.handshake(5)
        answer = await connection.get_env(frozenset(), frozenset({"*"}), 5)
        assert answer.env is not None, answer.error
        return version, answer.env
    finally:
        await connection.close()


async def test_pod_target_with_default_container(
    cluster: SimCluster, manager: SessionManager
) -> None:
    steps: list[str] = []
    result = await manager.start(
        StartRequest(target="pod/solo", namespace="shop", debug_type="python"),
        lambda title, message, pct: steps.append(title),
    )
    assert steps[:4] == ["Resolving target", "Creating agent", "Waiting for agent", "Connecting"]
    assert result["target"] == "pod/solo"
    assert result["namespace"] == "shop"
    agent = result["agent"]
    assert agent["namespace"] == "shop" and agent["node"] == "node-2"
    job = the_job(cluster)
    spec = job["spec"]["template"]["spec"]
    pod = cluster.store.get("pods", "shop", "solo")
    assert pod is not None
    worker = next(s for s in pod["status"]["containerStatuses"] if s["name"] == "worker")
    runtime, _, cid = worker["containerID"].partition("://")
    args = spec["containers"][0]["args"]
    assert args[args.index("--container-id") + 1] == cid
    assert args[args.index("--container-runtime") + 1] == runtime
    assert args[1] == str(agent["port"])
    assert spec["nodeSelector"] == {"kubernetes.io/hostname": "node-2"}
    labels = job["metadata"]["labels"]
    assert labels["mirrord-ide/session"] == result["sessionId"]
    env = result["env"]
    assert json.loads(env["MIRRORD_AGENT_CONNECT_INFO"]) == {
        "DirectKubernetes": {
            "pod_name": agent["pod"],
            "pod_namespace": "shop",
            "agent_port": agent["port"],
        }
    }
    assert env["MIRRORD_AGENT_ADDR"] == agent["localAddress"]
    assert env["MIRRORD_SESSION_ID"] == result["sessionId"]
    assert env["MIRRORD_DETECT_DEBUGGER_PORT"] == "debugpy"
    # The worker container was targeted, so the app container's env is absent.
    assert "MODE" not in env
    assert manager.describe_all()[0]["sessionId"] == result["sessionId"]
    assert await manager.stop(result["sessionId"]) is True
    assert await manager.stop(result["sessionId"]) is False
    assert await wait_no_agents(cluster) == []


async def test_deployment_target_env_and_bytes(
    cluster: SimCluster, manager: SessionManager
) -> None:
    result = await manager.start(StartRequest(target="deployment/api", namespace="shop"))
    assert result["target"] == "deployment/api"
    pod = cluster.store.get("pods", "shop", "") or {}
    assert pod == {}
    env = result["env"]
    assert env["LOG_LEVEL"] == "info"
    assert env["DB_HOST"] == "postgres"
    assert env["DB_PASSWORD"] == "s3cr3t"
    assert env["CART_TTL"] == "30m"
    assert env["STRIPE_KEY"] == "sk_test"
    assert "MIRRORD_DETECT_DEBUGGER_PORT" not in env
    args = the_job(cluster)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "targeted" in args
    # The listener still reaches the agent, for a second client besides the server.
    version, process_env = await exchange(result["agent"]["localAddress"])
    assert version and process_env["DB_HOST"] == "postgres"
    await manager.stop(result["sessionId"])
    assert await wait_no_agents(cluster) == []


@pytest.mark.parametrize(
    ("target", "container"),
    [("statefulset/db", "postgres"), ("rollout/search", "search")],
)
async def test_statefulset_and_rollout_targets(
    cluster: SimCluster, manager: SessionManager, target: str, container: str
) -> None:
    result = await manager.start(StartRequest(target=target, namespace="shop"))
    assert result["target"] == target
    args = the_job(cluster)["spec"]["template"]["spec"]["containers"][0]["args"]
    pods = [
        p for p in cluster.store.list("pods", "shop")
        if any(s.get("containerID", "").endswith(args[args.index("--container-id") + 1])
               for s in p["status"].get("containerStatuses", []) if s["name"] == container)
    ]  # fmt: skip
    assert len(pods) == 1


async def test_env_filters_from_config(cluster: SimCluster, manager: SessionManager) -> None:
    config = cfg(
        {"feature": {"env": {"include": "DB_*;LOG_LEVEL", "override": {"LOG_LEVEL": "debug"}}}}
    )
    result = await manager.start(
        StartRequest(config=config, target="deployment/api/container/api", namespace="shop")
    )
    remote = {k: v for k, v in result["env"].items() if not k.startswith("MIRRORD_")}
    assert remote == {"DB_HOST": "postgres", "DB_PASSWORD": "s3cr3t", "LOG_LEVEL": "debug"}


async def test_targetless_ignores_agent_namespace(
    cluster: SimCluster, manager: SessionManager
) -> None:
    result = await manager.start(
        StartRequest(target=None, namespace="shop", agent_namespace="agents")
    )
    assert result["target"] is None
    assert result["agent"]["namespace"] == "shop" and result["agent"]["node"] is None
    spec = the_job(cluster)["spec"]["template"]["spec"]
    assert spec["containers"][0]["args"][-1] == "targetless"
    for key in ("hostPID", "nodeName", "nodeSelector", "tolerations"):
        assert key not in spec
    # Targetless, the agent's own process env is the remote env (mirrord reads
    # `/proc/self/environ`); the session's variables are set over it.
    assert result["capabilities"]["env"] == "process"
    assert {"MIRRORD_AGENT_CONNECT_INFO", "MIRRORD_AGENT_ADDR", "MIRRORD_SESSION_ID"} <= set(
        result["env"]
    )
    assert result["env"]["MIRRORD_SESSION_ID"] == result["sessionId"]
    assert "MIRRORD_DETECT_DEBUGGER_PORT" not in result["env"]


async def test_agent_namespace_precedence(cluster: SimCluster, manager: SessionManager) -> None:
    config = cfg({"target": "pod/solo", "agent": {"namespace": "nowhere"}})
    result = await manager.start(
        StartRequest(config=config, namespace="shop", env={"MIRRORD_AGENT_NAMESPACE": "agents"})
    )
    assert result["target"] == "pod/solo/container/worker" or result["target"] == "pod/solo"
    assert result["agent"]["namespace"] == "agents"
    assert the_job(cluster, "agents")


async def test_env_target_and_namespace(cluster: SimCluster, manager: SessionManager) -> None:
    result = await manager.start(
        StartRequest(
            env={"MIRRORD_IMPERSONATED_TARGET": "deploy/api", "MIRRORD_TARGET_NAMESPACE": "shop"}
        )
    )
    assert result["target"] == "deployment/api"
    assert result["namespace"] == "shop"


@pytest.mark.parametrize(
    ("request_kwargs", "error", "needles"),
    [
        ({"target": "pod/nope", "namespace": "shop"}, NotFound, ["pod `nope`", "`shop`"]),
        ({"target": "deployment/nope", "namespace": "shop"}, NotFound, ["deployment `nope`"]),
        ({"target": "pod/solo", "namespace": "ghost"}, NotFound, ["namespace `ghost` not found"]),
        (
            {"target": "pod/solo/container/db", "namespace": "shop"},
            NotFound,
            ["container `db` not found", "app, worker"],
        ),
        (
            {"target": "deployment/broken", "namespace": "shop"},
            Conflict,
            ["no pod of deployment `broken`", "ready"],
        ),
        ({"target": "deployment/empty", "namespace": "shop"}, NotFound, ["no pods matching"]),
        ({"target": "pod/waiting", "namespace": "shop"}, Conflict, ["not in 'Running' phase"]),
        ({"target": "job/x", "namespace": "shop"}, Conflict, ["requires the mirrord operator"]),
        (
            {"target": "pod/Bad_Name", "namespace": "shop"},
            InvalidConfig,
            ["`Bad_Name`", "is not a valid pod name: it contains '_'"],
        ),
        ({"target": "nonsense", "namespace": "shop"}, InvalidConfig, ["invalid target"]),
        ({"target": None, "namespace": "Not_Valid"}, InvalidConfig, ["not a valid name"]),
        (
            {"target": "pod/solo", "namespace": "shop", "agent_namespace": "missing"},
            NotFound,
            ["agent namespace `missing` not found"],
        ),
    ],
)
async def test_errors_name_the_object(
    cluster: SimCluster,
    manager: SessionManager,
    request_kwargs: dict[str, Any],
    error: type[Exception],
    needles: list[str],
) -> None:
    before = len(cluster.requests.records())
    with pytest.raises(error) as info:
        await manager.start(StartRequest(**request_kwargs))
    message = str(info.value)
    for needle in needles:
        assert needle in message
    assert getattr(info.value, "hint", None)
    assert agent_objects(cluster) == []
    # Nothing was created: no POST reached the cluster, or it was refused.
    posts = [r for r in cluster.requests.records()[before:] if r.method == "POST"]
    assert all(r.status >= 400 for r in posts)


async def test_forbidden_to_create_jobs(cluster: SimCluster) -> None:
    kube = make_kube(cluster, "viewer")
    manager = manager_for(kube)
    try:
        with pytest.raises(Forbidden) as info:
            await manager.start(StartRequest(target="pod/solo", namespace="shop"))
        assert "jobs" in info.value.message and "viewer" in info.value.message
        assert "RBAC" in (info.value.hint or "")
        assert manager.live.snapshot() == []
    finally:
        await manager.stop_all()
        kube.close()
        kube.cluster.close()
    assert agent_objects(cluster) == []


async def test_image_pull_failure_fails_fast(cluster: SimCluster, manager: SessionManager) -> None:
    config = cfg({"agent": {"image": "ghcr.io/acme/does-not-exist:1", "startup_timeout": 30}})
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(Conflict) as info:
        await manager.start(StartRequest(config=config, target="pod/solo", namespace="shop"))
    assert loop.time() - started < 5
    assert "failed to pull image" in info.value.message
    assert "does-not-exist" in info.value.message
    assert await wait_no_agents(cluster) == []


async def test_unschedulable_fails_fast(cluster: SimCluster, manager: SessionManager) -> None:
    cluster.faults.unschedulable = True
    with pytest.raises(Conflict) as info:
        await manager.start(StartRequest(target="pod/solo", namespace="shop"))
    assert "cannot be scheduled" in info.value.message
    assert "0/2 nodes are available" in info.value.message
    assert await wait_no_agents(cluster) == []


@pytest.mark.slow
async def test_timeout_names_the_last_state(cluster: SimCluster, manager: SessionManager) -> None:
    cluster.options.schedule_delay = 5.0
    config = cfg({"agent": {"startup_timeout": 1}})
    with pytest.raises(Timeout) as info:
        await manager.start(StartRequest(config=config, target=None, namespace="shop"))
    message = info.value.message
    assert "Timeout waiting for agent to be ready after 1s" in message
    assert "mirrord-agent-" in message and "Pending" in message
    assert await wait_no_agents(cluster) == []


async def test_watch_resumes_after_gone(cluster: SimCluster, manager: SessionManager) -> None:
    cluster.options.schedule_delay = 0.3
    cluster.faults.add(resource="pods", verb="watch", gone=True, times=1)
    result = await manager.start(StartRequest(target=None, namespace="shop"))
    assert result["agent"]["pod"].startswith("mirrord-agent-")
    watches = [r for r in cluster.requests.records() if "watch=" in r.query]
    assert len(watches) >= 2


@pytest.mark.parametrize(
    "step", ["Resolving target", "Creating agent", "Waiting for agent", "Connecting"]
)
async def test_cancel_at_each_step_removes_everything(
    cluster: SimCluster, manager: SessionManager, step: str
) -> None:
    task: asyncio.Task[Any] | None = None

    def progress(title: str, message: str | None, pct: int | None) -> None:
        if title == step and task is not None:
            task.cancel()

    task = asyncio.ensure_future(
        manager.start(StartRequest(target="deployment/api", namespace="shop"), progress)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert manager.describe_all() == []
    assert manager.live.snapshot() == []
    assert await wait_no_agents(cluster) == []


@pytest.mark.slow
async def test_stop_all_cancels_a_launch_in_flight(
    cluster: SimCluster, manager: SessionManager
) -> None:
    cluster.options.schedule_delay = 2.0
    done = await manager.start(StartRequest(target=None, namespace="shop"))
    assert done["sessionId"]
    pending = asyncio.ensure_future(manager.start(StartRequest(target=None, namespace="shop")))
    while len([a for a in agent_objects(cluster) if a.startswith("jobs/")]) < 2:
        await asyncio.sleep(0.02)
    await manager.stop_all()
    with pytest.raises(asyncio.CancelledError):
        await pending
    assert manager.describe_all() == []
    assert await wait_no_agents(cluster) == []


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_fifty_start_stop_cycles_leave_nothing(
    cluster: SimCluster, manager: SessionManager
) -> None:
    cluster.options.schedule_delay = 0.01
    for i in range(50):
        target = "deployment/api" if i % 2 else None
        result = await manager.start(StartRequest(target=target, namespace="shop"))
        if i % 10 == 0:
            version, _ = await exchange(result["agent"]["localAddress"])
            assert version
        assert await manager.stop(result["sessionId"]) is True
    assert manager.describe_all() == []
    assert await wait_no_agents(cluster) == []


async def test_process_env_needs_no_secret_access(cluster: SimCluster) -> None:
    # The agent reads the running process's env: the user's RBAC on secrets
    # does not matter (the spec fallback's warnings: test_builtin_sessions).
    kube = make_kube(cluster, "nosecrets")
    manager = manager_for(kube)
    try:
        result = await manager.start(StartRequest(target="deployment/api", namespace="shop"))
        assert result["capabilities"]["env"] == "process"
        assert result["env"]["DB_HOST"] == "postgres"
        assert result["env"]["DB_PASSWORD"] == "s3cr3t"
        assert not any("forbidden" in w for w in result["warnings"])
    finally:
        await manager.stop_all()
        kube.close()
        kube.cluster.close()
    assert await wait_no_agents(cluster) == []


@pytest.mark.slow
async def test_stop_retries_a_delete_the_cluster_fails(
    cluster: SimCluster, manager: SessionManager
) -> None:
    result = await manager.start(StartRequest(target=None, namespace="shop"))
    cluster.faults.add(resource="jobs", verb="delete", error_rate=1.0, times=2)
    assert await manager.stop(result["sessionId"]) is True
    deletes = [r for r in cluster.requests.records() if r.method == "DELETE"]
    assert [r.status for r in deletes] == [500, 500, 200]
    assert await wait_no_agents(cluster) == []
