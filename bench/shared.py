"""What the benchmarks share with the test suite (tests/support): the JSON-RPC
client that drives a server over stdio, the server's environment, the cluster seeds.

The benchmarks run as scripts from this folder; this puts the suite's folder on
the import path so that `support` is the same package the tests import."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

from support.cluster import NODES, seed, shop_api, shop_namespace  # noqa: E402
from support.rpc import RawClient, Received  # noqa: E402
from support.server import server_env, start_lsp, stop_lsp  # noqa: E402

__all__ = [
    "NODES",
    "RawClient",
    "Received",
    "seed",
    "server_env",
    "shop_api",
    "shop_namespace",
    "start_lsp",
    "stop_lsp",
]
