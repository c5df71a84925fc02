"""Send big, already-encoded results without re-serializing them.

pygls turns every response into JSON by unstructuring it with cattrs and then
`json.dumps`: for a target list of twenty thousand entries that takes hundreds
of milliseconds, on every request. A handler may instead return a
`PreEncoded` result (JSON bytes, typically encoded once with orjson and kept
until the data changes); the response is then framed around those bytes as is.
Everything else goes through pygls unchanged.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from typing import Any

import orjson

log = logging.getLogger(__name__)
INSTALLED = "_mirrord_raw_results"


@dataclass(frozen=True, slots=True)
class PreEncoded:
    """A JSON-RPC result that is already JSON (UTF-8 bytes)."""

    raw: bytes


def install(protocol: Any) -> None:
    """Let `protocol` send `PreEncoded` results verbatim (idempotent)."""
    if getattr(protocol, INSTALLED, False):
        return
    original = protocol._send_data

    def send_data(data: Any) -> None:
        result = getattr(data, "result", None)
        if not isinstance(result, PreEncoded) or getattr(data, "error", None) is not None:
            original(data)
            return
        if not getattr(protocol, "_include_headers", True):
            # Message-based transports (websockets) frame and encode themselves.
            original(type(data)(id=data.id, result=orjson.loads(result.raw), jsonrpc=data.jsonrpc))
            return
        writer = protocol.writer
        if writer is None:
            log.error("no transport to send a response on")
            return
        prefix = b'{"jsonrpc":"2.0","id":' + orjson.dumps(data.id) + b',"result":'
        header = (
            f"Content-Length: {len(prefix) + len(result.raw) + 1}\r\n"
            f"Content-Type: {protocol.CONTENT_TYPE}; charset={protocol.CHARSET}\r\n\r\n"
        ).encode("ascii")
        try:
            # One copy of a result that may be megabytes long, not one per `+`.
            written = writer.write(b"".join((header, prefix, result.raw, b"}")))
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            log.error("connection to the client is lost: cannot send a response")

    protocol._send_data = send_data
    setattr(protocol, INSTALLED, True)
