"""A stand-in server process: starts one targetless session, prints its
result as one JSON line, then waits until killed.

    python agent_holder.py KUBECONFIG NAMESPACE
"""

from __future__ import annotations

import asyncio
import json
import sys

from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.sessions import SessionManager, StartRequest
from mirrord_ide.cluster.client import ClusterClient
from mirrord_ide.cluster.kubeconfig import KubeSettings


async def main(kubeconfig: str, namespace: str) -> None:
    kube = AgentKube(ClusterClient.from_settings(KubeSettings(kubeconfig=kubeconfig)))

    async def factory() -> AgentKube:
        return kube

    manager = SessionManager(factory)
    # The agent exits once this process (its one client) is gone; a long Job TTL
    # keeps the Job for the leftover-agent checks to find, as a stuck agent would.
    config = {"agent": {"ttl": 600}}
    result = await manager.start(StartRequest(config=config, target=None, namespace=namespace))
    print(json.dumps(result), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
