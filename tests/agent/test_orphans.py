"""Agents outliving their server: a SIGKILLed server's agent is removed by
the next server; a running server's agents are never touched."""

from __future__ import annotations

import os
import signal

import pytest

from mirrord_ide.agent.owner import current_owner, owner_gone
from mirrord_ide.agent.sessions import SessionManager, StartRequest
from mirrord_ide.agent.spec import Owner
from mirrord_simcluster.testing import SimCluster

from .support import agent_objects, spawn_holder, wait_no_agents

pytestmark = pytest.mark.timeout(60)


def jobs_of(cluster: SimCluster) -> set[str]:
    return {a.split("/")[-1] for a in agent_objects(cluster) if a.startswith("jobs/")}


async def test_killed_server_agent_is_reaped_live_one_kept(
    cluster: SimCluster, manager: SessionManager
) -> None:
    killed, killed_result = spawn_holder(cluster)
    alive, alive_result = spawn_holder(cluster)
    try:
        killed_job = killed_result["agent"]["pod"].rsplit("-", 1)[0]
        alive_job = alive_result["agent"]["pod"].rsplit("-", 1)[0]
        assert {killed_job, alive_job} <= jobs_of(cluster)
        mine = await manager.start(StartRequest(target=None, namespace="shop"))
        my_job = mine["agent"]["pod"].rsplit("-", 1)[0]

        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(10)
        # The SIGKILLed server could not clean up: its agent is still there.
        assert killed_job in jobs_of(cluster)

        removed = await manager.reap_orphans()
        assert removed == [f"shop/{killed_job}"]
        assert jobs_of(cluster) == {alive_job, my_job}
        # Reaping again finds nothing more.
        assert await manager.reap_orphans() == []
    finally:
        for proc in (killed, alive):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    await manager.reap_orphans()
    await manager.stop_all()
    assert await wait_no_agents(cluster) == []


def test_owner_liveness_rules() -> None:
    me = current_owner("me")
    assert not owner_gone(me, me)
    same_process_other_id = Owner("other", me.pid, me.host, me.boot_id, me.start_time)
    assert not owner_gone(same_process_other_id, me)
    other_host = Owner("other", 999_999_999, "elsewhere", me.boot_id, "1")
    assert not owner_gone(other_host, me)
    dead_pid = Owner("other", 999_999_999, me.host, me.boot_id, "1")
    assert owner_gone(dead_pid, me)
    if me.start_time:
        reused_pid = Owner("other", me.pid, me.host, me.boot_id, str(int(me.start_time) + 1))
        assert owner_gone(reused_pid, me)
    if me.boot_id:
        rebooted = Owner("other", me.pid, me.host, "another-boot", me.start_time)
        assert owner_gone(rebooted, me)
