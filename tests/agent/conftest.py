from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from mirrord_ide.agent.kube import AgentKube
from mirrord_ide.agent.sessions import SessionManager
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture

from .support import SEED, make_kube, manager_for

cluster = cluster_fixture(SEED, scope="function")


@pytest_asyncio.fixture
async def kube(cluster: SimCluster) -> AsyncIterator[AgentKube]:
    facade = make_kube(cluster)
    yield facade
    facade.close()
    facade.cluster.close()


@pytest_asyncio.fixture
async def manager(kube: AgentKube) -> AsyncIterator[SessionManager]:
    sessions = manager_for(kube)
    yield sessions
    await sessions.stop_all()
