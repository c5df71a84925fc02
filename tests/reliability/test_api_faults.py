"""Faults in the Kubernetes API while requests run: 500s, latency, connection
resets, dropped watches and 410 Gone on a share of requests. Every `mirrord/*`
request answers within its deadline with correct data or a clear error, the
target cache recovers by itself once the faults stop, and no agent is lost."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mirrord_simcluster.testing import running_cluster
from support.rpc import RawClient, ResponseError

from .cluster_support import SEED, TARGET, start_server, wait_no_agents
from .support import report_line

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]
KINDS = {"unreachable", "unauthorized", "forbidden", "not-found", "timeout", "conflict"}
DEADLINE = 5.0  # the `timeout` each request is given
SLACK = 3.0  # the server's own bookkeeping on top
START_DEADLINE = 60.0


async def timed(client: RawClient, method: str, params: dict[str, Any], deadline: float) -> Any:
    started = time.monotonic()
    try:
        result: Any = await client.request(method, params, timeout=deadline + SLACK)
    except ResponseError as error:
        result = error
    elapsed = time.monotonic() - started
    assert elapsed <= deadline + SLACK, f"{method} took {elapsed:.1f}s"
    return result


def check_targets(result: Any) -> bool:
    """True for correct data, False for a clear error; anything else fails."""
    if isinstance(result, ResponseError):
        assert result.kind in KINDS and result.data.get("message"), result.error
        return False
    paths = {t["path"] for t in result["targets"]}
    assert "deployment/api" in paths and "pod/solo" in paths, paths
    return True


def check_picker(result: Any) -> bool:
    assert not isinstance(result, ResponseError), result.error  # the picker never fails
    targetless = [i for i in result["items"] if i["kind"] == "targetless"]
    assert len(targetless) == 1
    return not any(i["kind"] == "message" for i in result["items"])


def check_namespaces(result: Any) -> bool:
    if isinstance(result, ResponseError):
        assert result.kind in KINDS and result.data.get("message"), result.error
        return False
    assert "shop" in result["namespaces"] or result.get("warning"), result
    return True


CHECKS = {
    "mirrord/listTargets": check_targets,
    "mirrord/targetPickerItems": check_picker,
    "mirrord/listNamespaces": check_namespaces,
}


async def test_requests_under_api_faults() -> None:
    with running_cluster(SEED) as cluster:
        client = await start_server(cluster.kubeconfig_path)
        sessions: list[str] = []
        counts = {"ok": 0, "error": 0, "sessions": 0, "session_errors": 0}
        try:
            assert check_targets(
                await timed(client, "mirrord/listTargets", {"namespace": "shop"}, 30)
            )
            cluster.faults.reseed(6)
            cluster.faults.add(error_rate=0.25)
            cluster.faults.add(reset_rate=0.1)
            cluster.faults.add(latency=0.05)
            cluster.faults.add(verb="watch", drop_watch_after=0.5)
            cluster.faults.add(verb="watch", gone=True, times=5)
            params = {"namespace": "shop", "timeout": DEADLINE}

            async def lister(method: str) -> None:
                for _ in range(8):
                    result = await timed(client, method, params, DEADLINE)
                    check = CHECKS[method]
                    counts["ok" if check(result) else "error"] += 1

            async def starter() -> None:
                for _ in range(3):
                    result = await timed(
                        client,
                        "mirrord/startSession",
                        {"target": TARGET, "namespace": "shop"},
                        START_DEADLINE,
                    )
                    if isinstance(result, ResponseError):
                        assert result.kind in KINDS and result.data.get("message"), result.error
                        counts["session_errors"] += 1
                    else:
                        sessions.append(result["sessionId"])
                        counts["sessions"] += 1

            await asyncio.gather(
                *(lister("mirrord/listTargets") for _ in range(4)),
                *(lister("mirrord/targetPickerItems") for _ in range(4)),
                lister("mirrord/listNamespaces"),
                starter(),
            )
            faulted = len(cluster.requests)
            cluster.faults.clear()

            # Recovery: correct data again within a few seconds, by itself.
            recovered_at = None
            started = time.monotonic()
            while time.monotonic() - started < 15:
                if check_targets(await timed(client, "mirrord/listTargets", params, DEADLINE)):
                    recovered_at = time.monotonic() - started
                    break
                await asyncio.sleep(0.2)
            assert recovered_at is not None, "the target list did not recover"
            assert check_picker(await timed(client, "mirrord/targetPickerItems", params, DEADLINE))
            after = await timed(
                client, "mirrord/startSession", {"target": TARGET, "namespace": "shop"}, 60
            )
            assert not isinstance(after, ResponseError), after.error
            sessions.append(after["sessionId"])

            # Every session is known to the server, and stopping removes its agent.
            listed = await client.request("mirrord/listSessions", {})
            assert {s["sessionId"] for s in listed["sessions"]} >= set(sessions)
            for session_id in sessions:
                stopped = await client.request("mirrord/stopSession", {"sessionId": session_id})
                assert stopped["stopped"] is True
            assert await wait_no_agents(cluster) == []
            report_line(
                f"faults: {faulted} API requests under faults; listTargets/picker "
                f"{counts['ok']} correct, {counts['error']} clear errors; sessions "
                f"{counts['sessions']} started, {counts['session_errors']} clear errors; "
                f"recovered {recovered_at:.2f}s after the faults stopped; 0 agents left"
            )
        finally:
            await client.close()
        assert await wait_no_agents(cluster) == []
