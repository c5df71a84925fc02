from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pytest_lsp import LanguageClient

from .support import CLIENTS, Documents, config, initialize_params


# One server per client capability set and module; tests open distinct URIs.
@pytest_asyncio.fixture(scope="module", loop_scope="module", params=CLIENTS)
async def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LanguageClient]:
    root = tmp_path_factory.mktemp("workspace")
    cfg = config(root)
    lsp_client = await cfg.start()
    lsp_client.root = root  # type: ignore[attr-defined]
    await lsp_client.initialize_session(initialize_params(request.param, root))
    yield lsp_client
    await lsp_client.shutdown_session()
    await lsp_client.stop()


@pytest.fixture
def docs(client: LanguageClient) -> Documents:
    return Documents(client, client.root)  # type: ignore[attr-defined]
