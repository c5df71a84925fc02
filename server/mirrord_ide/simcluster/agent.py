"""The simulated mirrord agent behind a port-forward.

Protocol (line-based greeting, then echo), enough to prove bytes flow both ways:
1. On connect the agent sends one line: `HELLO mirrord-agent <version> <namespace>/<pod>\\n`.
2. From then on it echoes every byte it receives, unchanged and in order.
The connection ends when the client closes its side or the pod goes away.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

from mirrord_ide.simcluster.store import Obj

_VERSION_TAG = re.compile(r":v?(\d+\.\d+\.\d+[^/]*)$")


def agent_version(pod: Obj, default: str) -> str:
    for c in pod.get("spec", {}).get("containers", []):
        image = str(c.get("image", ""))
        if "mirrord" in image:
            match = _VERSION_TAG.search(image)
            return match.group(1) if match else default
    return default


def ready_line(pod: Obj, default_version: str) -> str:
    """What the real agent logs when it accepts connections."""
    return f"agent ready - version {agent_version(pod, default_version)}"


async def run_agent_session(
    pod: Obj,
    version: str,
    incoming: AsyncIterator[bytes],
    send: Callable[[bytes], Awaitable[None]],
) -> None:
    meta = pod["metadata"]
    await send(f"HELLO mirrord-agent {version} {meta['namespace']}/{meta['name']}\n".encode())
    async for chunk in incoming:
        await send(chunk)
