"""Watches pause after every end (error or not), with jitter, stop when nobody
needs them, and never start for a name Kubernetes would reject."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mirrord_ide.cluster import catalog as catalog_module
from mirrord_ide.cluster.catalog import KINDS, Catalog, KindCache, WatchBackoff
from mirrord_ide.cluster.client import RawList
from mirrord_ide.errors import InvalidConfig

POD_SPEC = next(spec for spec in KINDS if spec.kind == "pod")


class _EndsAtOnce:
    """A watch the server ends straight away, without an error."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(())

    def close(self) -> None:
        pass


class _FailsAtOnce:
    def __iter__(self) -> Iterator[dict[str, Any]]:
        raise ConnectionResetError("reset by peer")

    def close(self) -> None:
        pass


class FakeClient:
    """Counts lists and watch opens; every watch ends at once."""

    def __init__(self, stream: type = _EndsAtOnce) -> None:
        self.lists: list[str] = []
        self.opens: list[float] = []
        self.stream = stream
        self._lock = threading.Lock()

    async def list_raw(self, path: str, *_args: Any, **_kwargs: Any) -> RawList:
        self.lists.append(path)
        return RawList([], "7")

    def list_raw_sync(self, path: str, *_args: Any) -> RawList:
        self.lists.append(path)
        return RawList([], "7")

    def open_watch(self, path: str, resource_version: str, **_kwargs: Any) -> Any:
        with self._lock:
            self.opens.append(time.monotonic())
        return self.stream()


async def _watch_for(cache: KindCache, seconds: float) -> None:
    await cache.ensure(5.0)
    await asyncio.sleep(seconds)
    cache.stop()


@pytest.mark.slow
@pytest.mark.parametrize("stream", [_EndsAtOnce, _FailsAtOnce])
def test_a_watch_that_keeps_ending_backs_off(stream: type) -> None:
    client = FakeClient(stream)
    cache = KindCache(client, POD_SPEC, "default")  # type: ignore[arg-type]
    asyncio.run(_watch_for(cache, 2.0))
    # Without a pause this loop opened thousands of watches a second; with it:
    # ~0, ~0.5, ~1.5 s (each pause drawn from [0.5, 1.5) times a doubling step).
    assert 1 <= len(client.opens) <= 4, client.opens
    gaps = [b - a for a, b in zip(client.opens, client.opens[1:], strict=False)]
    assert all(gap >= 0.2 for gap in gaps), gaps


def test_backoff_grows_is_bounded_and_jittered() -> None:
    backoff = WatchBackoff(first=0.5, maximum=30.0, rng=random.Random(1))
    pauses = [backoff.next() for _ in range(12)]
    steps = [min(0.5 * 2**i, 30.0) for i in range(12)]
    for pause, step in zip(pauses, steps, strict=True):
        assert 0.5 * step <= pause < 1.5 * step
    assert max(pauses) < 45.0
    backoff.reset()
    assert backoff.next() < 0.75
    other = WatchBackoff(rng=random.Random(2))
    assert [other.next() for _ in range(3)] != pauses[:3]  # jittered, not in step


@pytest.mark.slow
def test_an_unused_watch_stops_and_a_new_request_restarts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(catalog_module, "IDLE_SECONDS", 0.2)
    client = FakeClient()
    cache = KindCache(client, POD_SPEC, "default")  # type: ignore[arg-type]

    async def scenario() -> None:
        await cache.ensure(5.0)
        pod = {"metadata": {"name": "p", "namespace": "default", "resourceVersion": "8"}}
        assert cache._apply({"type": "ADDED", "object": pod})
        assert len(cache) == 1
        await asyncio.sleep(1.5)
        opened = len(client.opens)
        assert cache._thread is None and not cache.fresh  # the watch ended itself
        assert len(cache) == 0 and cache.items() == []  # and its objects are freed
        await asyncio.sleep(1.0)
        assert len(client.opens) == opened  # and stays ended
        await cache.ensure(5.0)  # someone needs the kind again: list, watch
        assert len(client.lists) == 2
        deadline = time.monotonic() + 2.0
        while len(client.opens) == opened and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert len(client.opens) > opened
        cache.stop()

    asyncio.run(scenario())


def test_a_bad_namespace_never_reaches_the_catalog() -> None:
    client = FakeClient()
    catalog = Catalog(client)  # type: ignore[arg-type]

    async def scenario() -> None:
        for bad in ("default?watch=1", "default/../kube-system", "..", "Default"):
            with pytest.raises(InvalidConfig, match="is not a valid namespace name"):
                await catalog.snapshot(bad, timeout=5.0)
        await catalog.snapshot("default", timeout=5.0)
        catalog.drop("default")
        catalog.close()

    asyncio.run(scenario())
    assert client.lists and all("/namespaces/default/" in path for path in client.lists)
