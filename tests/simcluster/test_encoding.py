"""List bodies built from per-object cached bytes equal a plain serialization."""

from __future__ import annotations

import orjson

from mirrord_simcluster.encoding import EncodedCache, list_bytes
from mirrord_simcluster.state import build_state


def test_list_bytes_match_a_plain_dump_and_reuse_bytes() -> None:
    pods = build_state().store.list("pods")
    cache = EncodedCache()
    meta = {"resourceVersion": "9", "continue": "abc"}
    body = list_bytes("PodList", "v1", meta, pods, cache)
    plain = {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": pods}
    assert orjson.loads(body) == orjson.loads(orjson.dumps(plain))
    assert body.index(b'"continue"') < body.index(b'"items"')  # clients peek at the head
    assert len(cache) == len(pods)
    first = cache.encode(pods[0])
    assert cache.encode(pods[0]) is first
    # An equal but distinct object (a newer version) is encoded afresh.
    assert cache.encode(dict(pods[0])) is not first
    assert orjson.loads(list_bytes("PodList", "v1", {}, [], cache))["items"] == []


def test_cache_stays_bounded() -> None:
    cache = EncodedCache(limit=3)
    objs = [{"n": i} for i in range(10)]
    for obj in objs:
        assert orjson.loads(cache.encode(obj)) == obj
    assert len(cache) <= 3
