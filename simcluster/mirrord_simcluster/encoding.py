"""JSON bytes of stored objects, encoded once.

Stored objects are never mutated (a write stores a new object), so an object's
identity pins its content and resourceVersion: a big list served page after page,
or again and again, reuses the bytes instead of serializing every item each time.
"""

from __future__ import annotations

from typing import Any

import orjson


class EncodedCache:
    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        # id -> (the object itself, kept alive so its id cannot be reused; its bytes)
        self._entries: dict[int, tuple[Any, bytes]] = {}

    def encode(self, obj: Any) -> bytes:
        entry = self._entries.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        data = orjson.dumps(obj)
        if len(self._entries) >= self.limit:
            self._entries.clear()  # replaced objects pile up otherwise
        self._entries[id(obj)] = (obj, data)
        return data

    def __len__(self) -> int:
        return len(self._entries)


def list_bytes(
    kind: str, api_version: str, meta: Any, items: list[Any], cache: EncodedCache
) -> bytes:
    """A `...List` body; `metadata` comes before `items`, as the apiserver writes it."""
    head = orjson.dumps({"kind": kind, "apiVersion": api_version, "metadata": meta})
    return b"".join((head[:-1], b',"items":[', b",".join(map(cache.encode, items)), b"]}"))
