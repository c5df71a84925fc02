"""A watch-backed cache of targetable objects, per namespace (or cluster-wide) and kind.

The first request for a (namespace, kind) lists it; a background thread then
watches from the list's resourceVersion and applies every change, so the next
picker open is answered from memory and shows pods that came and went. A watch
that ends is resumed from the last resourceVersion seen (bookmarks keep it
fresh); `410 Gone` means that version is too old, so the kind is listed again.
Every end of a watch, error or not, is followed by a pause that grows while
watches keep ending early (bounded, with jitter). While a watch is broken,
requests list afresh instead of trusting a possibly stale cache. A kind nobody
asked for in `IDLE_SECONDS` stops being watched and frees its objects; a
namespace that turns out not to exist is dropped at once.

The all-namespaces view lists and watches each kind once for the whole cluster
(when RBAC allows it). While that cluster-wide cache is current it also answers
every single-namespace view (through a per-namespace index), and the
per-namespace caches it makes redundant are dropped. Memory is bounded: a scope
nobody asked for in `SCOPE_IDLE_SECONDS` is dropped with its watches, and when
the cached objects exceed `MAX_CACHED_OBJECTS` the least recently used scopes go
first (never the one being read).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mirrord_ide.cluster.client import ClusterClient, map_api_error
from mirrord_ide.cluster.fastlist import PageDecoder, decode_pod_page, workload_page_decoder
from mirrord_ide.cluster.kinds import TARGET_KINDS, Kind, api_url
from mirrord_ide.cluster.records import PodRecord, WorkloadRecord, decode_pod, decode_workload
from mirrord_ide.errors import Forbidden, MirrordError, NotFound
from mirrord_ide.names import check_namespace

log = logging.getLogger(__name__)

# Our agents and the operator's objects are never targets: filter them server-side.
LABEL_SELECTOR = "app!=mirrord,!operator.metalbear.co/owner"
WATCH_SECONDS = 240
# Pauses between watches: the first after a watch ends, doubled (up to the
# maximum) while watches keep ending early, each drawn with jitter so that many
# caches do not reconnect in step.
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
# A watch that lasted this long was healthy: the next pause is the first again.
HEALTHY_WATCH_SECONDS = 10.0
# A kind nobody asked for in this long stops being watched.
IDLE_SECONDS = 600.0
# A scope (namespace or all) nobody asked for in this long is dropped, objects and all.
SCOPE_IDLE_SECONDS = 900.0
# Above this many cached objects, least recently used scopes are dropped (never the one
# being read). The server's peak RSS is about 80 MB plus 3 KB per cached object (its
# record, its targets and their encoded listing): 60,000 keeps it under 250 MB.
MAX_CACHED_OBJECTS = 60_000
MAX_SCOPES = 256
# A scope read this recently is never dropped for space: a request may still be using it.
BUSY_SECONDS = 5.0
DENIED_TTL = 30.0
ABSENT_TTL = 60.0


@dataclass(frozen=True, slots=True)
class KindSpec:
    """A listed kind: where it lives (from the kind registry) and how its items decode."""

    api: Kind
    decode: Callable[[Any], Any]
    page_decoder: PageDecoder  # whole list pages straight to records (see fastlist)

    @property
    def kind(self) -> str:  # the target kind: pod, deployment, ...
        return self.api.name

    @property
    def plural(self) -> str:
        return self.api.plural

    @property
    def optional(self) -> bool:  # a CRD that may be missing: 404 means "none"
        return self.api.optional

    def path(self, namespace: str | None) -> str:
        return api_url(self.api, namespace)


def _workload(kind: str) -> Callable[[Any], WorkloadRecord | None]:
    def decode(raw: Any) -> WorkloadRecord | None:
        return decode_workload(kind, raw)

    return decode


def _spec(api: Kind) -> KindSpec:
    if api.pods == "self":
        return KindSpec(api, decode_pod, decode_pod_page)
    return KindSpec(api, _workload(api.name), workload_page_decoder(api.name))


KINDS: tuple[KindSpec, ...] = tuple(_spec(api) for api in TARGET_KINDS)


class WatchBackoff:
    """Pauses between watches, exponential with jitter (each pause is drawn from
    [0.5, 1.5) times the current step)."""

    def __init__(
        self,
        first: float = FIRST_BACKOFF,
        maximum: float = MAX_BACKOFF,
        rng: random.Random | None = None,
    ) -> None:
        self.first = first
        self.maximum = maximum
        self._step = first
        self._rng = rng or random.Random()

    def next(self) -> float:
        pause = self._step * (0.5 + self._rng.random())
        self._step = min(self._step * 2, self.maximum)
        return pause

    def reset(self) -> None:
        self._step = self.first


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


_SERIALS = itertools.count(1)


def _key(record: Any) -> tuple[str, str]:
    return (record.namespace, record.name)


class KindCache:
    """The objects of one kind in one namespace (None: all namespaces)."""

    def __init__(self, client: ClusterClient, spec: KindSpec, namespace: str | None) -> None:
        self.client = client
        self.spec = spec
        self.namespace = namespace
        self.serial = next(_SERIALS)  # tells a new cache from a dropped one
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], Any] = {}
        self._values: list[Any] | None = None  # memoized snapshot, reset on change
        # Cluster-wide caches only: the same records by namespace, each with its own
        # generation, so one namespace's view is read without scanning the cluster.
        self._by_ns: dict[str, dict[tuple[str, str], Any]] = {}
        self._ns_values: dict[str, list[Any]] = {}
        self._ns_generation: dict[str, int] = {}
        self.generation = 0
        self.resource_version = ""
        self.synced = False
        self.watch_healthy = False
        self.last_error: MirrordError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self.last_used = time.monotonic()
        self._stream: Any = None
        self._list_task: asyncio.Task[None] | None = None
        # RBAC answers are remembered briefly so warm requests skip a known 403.
        self._denied: Forbidden | None = None
        self._denied_until = 0.0
        # A missing optional kind (no CRD) counts as current until then.
        self._absent_until = 0.0

    # -- reading ----------------------------------------------------------------------

    def items(self) -> list[Any]:
        with self._lock:
            if self._values is None:
                self._values = list(self._items.values())
            return self._values

    def items_in(self, namespace: str) -> list[Any]:
        """A cluster-wide cache's objects in one namespace."""
        with self._lock:
            found = self._ns_values.get(namespace)
            if found is None:
                found = list(self._by_ns.get(namespace, {}).values())
                self._ns_values[namespace] = found
            return found

    def generation_in(self, namespace: str) -> int:
        return self._ns_generation.get(namespace, 0)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def fresh(self) -> bool:
        if self.synced and self._absent_until:
            return time.monotonic() < self._absent_until
        return self.synced and self.watch_healthy

    # -- listing ----------------------------------------------------------------------

    async def ensure(self, timeout: float) -> None:
        """Make the cache current: list if it was never listed or its watch is broken."""
        self.last_used = time.monotonic()
        if self.fresh:
            return
        if self._denied is not None and time.monotonic() < self._denied_until:
            raise self._denied
        if self._list_task is None or self._list_task.done():
            self._list_task = asyncio.ensure_future(self._list(timeout))
            # Its error is re-raised to whoever awaits it; nobody may, after a timeout.
            self._list_task.add_done_callback(_retrieve)
        # Shield: one caller giving up must not cancel the list others wait for.
        await asyncio.wait_for(asyncio.shield(self._list_task), timeout)

    async def _list(self, timeout: float) -> None:
        try:
            result = await self.client.list_raw(
                self.spec.path(self.namespace),
                LABEL_SELECTOR,
                timeout=timeout,
                transform=self.spec.decode,
                page_decoder=self.spec.page_decoder,
            )
        except Forbidden as error:
            self._denied, self._denied_until = error, time.monotonic() + DENIED_TTL
            raise
        except NotFound:
            if not self.spec.optional:
                raise
            # No such CRD: nothing to list or watch; look again in a while.
            self._replace([], "")
            self._absent_until = time.monotonic() + ABSENT_TTL
            return
        self._replace(result.items, result.resource_version)
        self._start_watch()

    def _replace(self, records: list[Any], resource_version: str) -> None:
        with self._lock:
            self._items = {_key(r): r for r in records}
            self._values = None
            self.generation += 1
            if self.namespace is None:
                by_ns: dict[str, dict[tuple[str, str], Any]] = {}
                for key, record in self._items.items():
                    by_ns.setdefault(key[0], {})[key] = record
                self._by_ns = by_ns
                self._ns_values = {}
                for ns in by_ns.keys() | self._ns_generation.keys():
                    self._ns_generation[ns] = self._ns_generation.get(ns, 0) + 1
            self.resource_version = resource_version
            self.synced = True
            self.last_error = None
            self._denied = None
            self._absent_until = 0.0

    # -- watching ---------------------------------------------------------------------

    def _start_watch(self) -> None:
        if self._stop.is_set() or not self.resource_version:
            return
        with self._thread_lock:
            self.watch_healthy = True
            if self._thread is not None and self._thread.is_alive():
                return
            name = f"watch-{self.spec.plural}-{self.namespace or '*'}"
            self._thread = threading.Thread(target=self._watch_loop, name=name, daemon=True)
            self._thread.start()

    def _apply(self, event: dict[str, Any]) -> bool:
        """Apply one watch event; False when the watch must re-list (410 Gone)."""
        etype = event.get("type")
        obj = event.get("object")
        if not isinstance(obj, dict):
            return True
        meta: dict[str, Any] = obj.get("metadata") or {}
        if not isinstance(meta, dict):
            meta = {}
        rv = str(meta.get("resourceVersion") or "")
        if etype == "ERROR":
            if obj.get("code") == 410:
                return False
            raise RuntimeError(f"watch error {obj.get('code')}: {obj.get('message')}")
        if etype == "BOOKMARK":
            if rv:
                self.resource_version = rv
            return True
        labels: dict[str, Any] = meta.get("labels") or {}
        if not isinstance(labels, dict):
            labels = {}
        own = labels.get("app") == "mirrord" or "operator.metalbear.co/owner" in labels
        record = self.spec.decode(obj)
        with self._lock:
            if record is not None:
                key = _key(record)
                if etype == "DELETED" or own:
                    self._items.pop(key, None)
                    if self.namespace is None:
                        self._by_ns.get(key[0], {}).pop(key, None)
                else:
                    self._items[key] = record
                    if self.namespace is None:
                        self._by_ns.setdefault(key[0], {})[key] = record
                self._values = None
                self.generation += 1
                if self.namespace is None:
                    self._ns_values.pop(key[0], None)
                    self._ns_generation[key[0]] = self._ns_generation.get(key[0], 0) + 1
            if rv:
                self.resource_version = rv
        return True

    def _relist_blocking(self) -> None:
        result = self.client.list_raw_sync(
            self.spec.path(self.namespace),
            LABEL_SELECTOR,
            None,
            time.monotonic() + 60.0,
            self.spec.decode,
            self.spec.page_decoder,
        )
        self._replace(result.items, result.resource_version)

    def _watch_loop(self) -> None:
        from kubernetes.client.exceptions import ApiException

        backoff = WatchBackoff()
        while not self._stop.is_set():
            with self._thread_lock:
                if time.monotonic() - self.last_used > IDLE_SECONDS:
                    # Nobody asked for this kind in a while: stop watching and free
                    # its objects. The next request lists it afresh and watches again.
                    self.watch_healthy = False
                    self._thread = None
                    with self._lock:
                        self._items, self._values = {}, None
                        self._by_ns, self._ns_values = {}, {}
                        self.synced = False
                        self.generation += 1
                    return
            opened = time.monotonic()
            try:
                stream = self.client.open_watch(
                    self.spec.path(self.namespace),
                    self.resource_version,
                    label_selector=LABEL_SELECTOR,
                    timeout_seconds=WATCH_SECONDS,
                )
                self._stream = stream
                if self._stop.is_set():
                    stream.close()
                    return
                self.watch_healthy = True
                gone = False
                for event in stream:
                    if not self._apply(event):
                        gone = True
                        break
                stream.close()
                if gone:
                    self._relist_blocking()
                if time.monotonic() - opened >= HEALTHY_WATCH_SECONDS:
                    backoff.reset()
            except ApiException as error:
                if self._stop.is_set():
                    return
                if error.status == 410:
                    try:
                        self._relist_blocking()
                    except Exception as relist_error:  # noqa: BLE001
                        self._note_error(relist_error)
                else:
                    self._note_error(error)
            except Exception as error:  # noqa: BLE001 - a watch must never die silently
                if self._stop.is_set():
                    return
                self._note_error(error)
            # Every end waits, error or not: a server that ends watches at once (or a
            # path it answers with an empty stream) must not be asked again in a loop.
            self._stop.wait(backoff.next())

    def _note_error(self, error: BaseException) -> None:
        self.watch_healthy = False
        self.last_error = map_api_error(error, f"watch {self.spec.plural}")
        log.debug("watch %s/%s failed: %s", self.namespace, self.spec.plural, self.last_error)

    def stop(self, join_timeout: float = 2.0) -> None:
        self._stop.set()
        self.watch_healthy = False
        with self._lock:  # a dropped cache frees its objects at once
            self._items, self._values = {}, None
            self._by_ns, self._ns_values = {}, {}
        stream = self._stream
        if stream is not None:
            stream.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(join_timeout)
        if self._list_task is not None and not self._list_task.done():
            self._list_task.cancel()


@dataclass(slots=True)
class Snapshot:
    """Everything cached for one namespace (or all), with what could not be read."""

    namespace: str | None
    pods: list[PodRecord] = field(default_factory=list)
    workloads: list[WorkloadRecord] = field(default_factory=list)
    hidden: dict[str, str] = field(default_factory=dict)  # kind -> why it is missing
    # Per kind: (the answering cache's serial, its generation for this view).
    generations: tuple[tuple[int, int] | None, ...] = ()


class Catalog:
    """All kind caches of one cluster connection, by scope (a namespace, or None for all)."""

    def __init__(
        self,
        client: ClusterClient,
        *,
        kinds: tuple[KindSpec, ...] = KINDS,
        max_scopes: int = MAX_SCOPES,
        max_objects: int = MAX_CACHED_OBJECTS,
        idle_seconds: float = SCOPE_IDLE_SECONDS,
    ):
        self.client = client
        self.kinds = kinds
        self.max_scopes = max_scopes
        self.max_objects = max_objects
        self.idle_seconds = idle_seconds
        self._scopes: OrderedDict[str | None, dict[str, KindCache]] = OrderedDict()
        self._used: dict[str | None, float] = {}
        self._closed = False

    def _scope(self, namespace: str | None) -> dict[str, KindCache]:
        scope = self._scopes.get(namespace)
        if scope is None:
            scope = {spec.kind: KindCache(self.client, spec, namespace) for spec in self.kinds}
            self._scopes[namespace] = scope
        else:
            self._scopes.move_to_end(namespace)
        self._used[namespace] = time.monotonic()
        return scope

    def scopes(self) -> list[str | None]:
        """The scopes cached now, least recently used first."""
        return list(self._scopes)

    def cached_objects(self) -> int:
        return sum(len(c) for scope in self._scopes.values() for c in scope.values())

    def _wide(self, spec: KindSpec) -> KindCache | None:
        """The cluster-wide cache of a kind, when it is current and may answer for a namespace."""
        scope = self._scopes.get(None)
        cache = scope.get(spec.kind) if scope is not None else None
        if cache is None or not cache.fresh:
            return None
        return cache

    def evict(self, keep: str | None = None, *, now: float | None = None) -> list[str | None]:
        """Drop scopes idle for too long, then least recently used ones while there are
        too many scopes or cached objects. `keep` (the scope being read) stays."""
        now = time.monotonic() if now is None else now
        dropped: list[str | None] = []
        for namespace in list(self._scopes):
            if namespace != keep and now - self._used.get(namespace, now) > self.idle_seconds:
                self.drop(namespace)
                dropped.append(namespace)
        total = self.cached_objects()
        for namespace in list(self._scopes):
            if len(self._scopes) <= self.max_scopes and total <= self.max_objects:
                break
            if namespace == keep or now - self._used.get(namespace, 0.0) < BUSY_SECONDS:
                continue  # being read right now (e.g. by an all-namespaces fallback)
            total -= sum(len(c) for c in self._scopes[namespace].values())
            self.drop(namespace)
            dropped.append(namespace)
        if dropped:
            log.debug("dropped cached scopes: %s", ", ".join(ns or "*" for ns in dropped))
        return dropped

    def is_current(self, namespace: str | None) -> bool:
        """Whether a snapshot of the scope would be answered from memory."""
        scope = self._scopes.get(namespace)
        for spec in self.kinds:
            if namespace is not None and self._wide(spec) is not None:
                continue
            cache = scope.get(spec.kind) if scope is not None else None
            if cache is None or not cache.fresh:
                return False
        return True

    async def snapshot(self, namespace: str | None, *, timeout: float) -> Snapshot:
        """The namespace's objects (None: all namespaces). Kinds the user may not
        read are left out and named in `hidden`; if no kind can be read (or the
        cluster cannot be reached) the error is raised."""
        if self._closed:
            raise MirrordError("the cluster connection is closed", kind="unreachable")
        if namespace is not None:
            check_namespace(namespace)
        shared: dict[str, KindCache] = {}  # kind -> the cluster-wide cache answering it
        for spec in self.kinds:
            wide = self._wide(spec) if namespace is not None else None
            if wide is not None:
                wide.last_used = time.monotonic()
                self._used[None] = time.monotonic()
                shared[spec.kind] = wide
        caches: list[KindCache] = []
        if len(shared) < len(self.kinds):  # a scope of its own only for what is not shared
            scope = self._scope(namespace)
            caches = [scope[s.kind] for s in self.kinds if s.kind not in shared]
        results = await asyncio.gather(*(c.ensure(timeout) for c in caches), return_exceptions=True)
        snap = Snapshot(namespace=namespace)
        errors: list[MirrordError] = []
        generations: dict[str, tuple[int, int]] = {}
        for cache, result in zip(caches, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                error = map_api_error(result, f"list {cache.spec.plural}")
                if isinstance(error, Forbidden):
                    snap.hidden[cache.spec.kind] = error.message
                    continue
                errors.append(error)
                continue
            generations[cache.spec.kind] = (cache.serial, cache.generation)
            if cache.spec.kind == "pod":
                snap.pods = cache.items()
            else:
                snap.workloads.extend(cache.items())
        for kind, wide in shared.items():
            assert namespace is not None
            generations[kind] = (wide.serial, wide.generation_in(namespace))
            if kind == "pod":
                snap.pods = wide.items_in(namespace)
            else:
                snap.workloads.extend(wide.items_in(namespace))
        if errors:
            # Pods first: their error is the one that says most about the namespace.
            raise errors[0]
        readable = [s for s in self.kinds if not s.optional]
        if readable and all(s.kind in snap.hidden for s in readable):
            raise Forbidden(snap.hidden.get("pod") or next(iter(snap.hidden.values())))
        snap.generations = tuple(generations.get(s.kind) for s in self.kinds)
        if namespace is None:
            self._drop_covered()
        self.evict(keep=None if shared else namespace)
        return snap

    def _drop_covered(self) -> None:
        """Namespace scopes the current cluster-wide caches answer for entirely."""
        if any(self._wide(spec) is None for spec in self.kinds):
            return
        for namespace in [ns for ns in self._scopes if ns is not None]:
            self.drop(namespace)

    def drop(self, namespace: str | None) -> None:
        """Forget a namespace and stop its watches (e.g. it does not exist)."""
        scope = self._scopes.pop(namespace, None)
        self._used.pop(namespace, None)
        for cache in (scope or {}).values():
            cache.stop(join_timeout=0)

    def close(self) -> None:
        self._closed = True
        scopes = list(self._scopes.values())
        self._scopes.clear()
        for scope in scopes:
            for cache in scope.values():
                cache.stop(join_timeout=0)
        for scope in scopes:
            for cache in scope.values():
                if cache._thread is not None:
                    cache._thread.join(2.0)
