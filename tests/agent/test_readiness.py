"""Reading the agent pod's state while it starts."""

from __future__ import annotations

from typing import Any

from mirrord_ide.agent.readiness import agent_version, assess

IMAGE = "ghcr.io/metalbear-co/mirrord:3.250.0"


def pod(phase: str = "Pending", state: dict[str, Any] | None = None, ready: bool = False,
        conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    statuses = [] if state is None else [{"name": "agent", "ready": ready, "state": state}]
    return {
        "metadata": {"name": "agent-x", "namespace": "ns"},
        "status": {"phase": phase, "containerStatuses": statuses, "conditions": conditions or []},
    }


def test_running_and_ready() -> None:
    verdict = assess(pod("Running", {"running": {}}, ready=True), "agent", image=IMAGE)
    assert verdict.ready and verdict.error is None


def test_still_starting() -> None:
    verdict = assess(
        pod("Pending", {"waiting": {"reason": "ContainerCreating"}}), "agent", image=IMAGE
    )
    assert not verdict.ready and verdict.error is None
    assert verdict.state == "Pending (ContainerCreating)"


def test_image_pull_fails_fast() -> None:
    state = {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}
    verdict = assess(pod("Pending", state), "agent", image=IMAGE)
    assert verdict.error is not None
    assert "failed to pull image" in verdict.error.message and IMAGE in verdict.error.message
    assert "ImagePullBackOff" in verdict.state


def test_unschedulable_fails_fast() -> None:
    cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available"}  # fmt: skip
    verdict = assess(pod(conditions=[cond]), "agent", image=IMAGE)
    assert verdict.error is not None and "cannot be scheduled" in verdict.error.message
    assert verdict.state == "Pending (Unschedulable: 0/3 nodes are available)"


def test_failed_succeeded_deleted() -> None:
    failed = assess(pod("Failed", {"terminated": {"reason": "Error", "message": "boom"}}), "agent",
                    image=IMAGE)  # fmt: skip
    assert failed.error is not None and "failed (Error)" in failed.error.message
    done = assess(pod("Succeeded"), "agent", image=IMAGE)
    assert done.error is not None and "unexpectedly finished" in done.error.message
    gone = assess(pod(), "agent", image=IMAGE, deleted=True)
    assert gone.error is not None and "deleted" in gone.error.message


def test_agent_ready_line() -> None:
    assert agent_version("2026 INFO agent ready - version 3.250.0") == (True, "3.250.0")
    assert agent_version("agent ready") == (True, None)
    assert agent_version("starting") == (False, None)
