"""The in-memory object store: thread-safe, versioned, with a bounded event history.

Every write bumps one cluster-wide resourceVersion (an integer, sent as a string) and
appends a `WatchEvent` to a bounded history. Watches resume from that history; a
resourceVersion older than what the history still holds is "too old" (410 Gone), as with
an etcd compaction. Stored objects are treated as immutable: writers replace them, and
callers outside the server get deep copies.
"""

from __future__ import annotations

import bisect
import builtins
import copy
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mirrord_simcluster.resources import BY_PLURAL, ResourceType
from mirrord_simcluster.status import ApiError, already_exists, not_found

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)


@dataclass(frozen=True)
class WatchEvent:
    rv: int
    resource: str
    type: str  # ADDED | MODIFIED | DELETED
    obj: Obj
    old: Obj | None = None


Listener = Callable[[WatchEvent], None]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TooOld(Exception):
    def __init__(self, requested: int, oldest: int):
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class Store:
    def __init__(self, history_limit: int = 5000):
        self._lock = threading.RLock()
        self._objects: dict[str, dict[Key, Obj]] = {plural: {} for plural in BY_PLURAL}
        self._sorted: dict[str, builtins.list[Key] | None] = {plural: None for plural in BY_PLURAL}
        self._rv = 1
        self._history: deque[WatchEvent] = deque(maxlen=history_limit)
        # The oldest resourceVersion a watch may still resume from.
        self._oldest_rv = 1
        self._listeners: builtins.list[Listener] = []
        self._name_counter = 0

    # ---- reading -------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    def get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """A deep copy of one object, or None."""
        obj = self.get_ref(resource, namespace, name)
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, resource: str, ns: str | None = None) -> builtins.list[Obj]:
        """Deep copies of the objects of one kind, optionally in one namespace."""
        _, items = self.snapshot(resource, ns)
        return copy.deepcopy(items)

    def get_ref(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """The stored object itself: never mutate it."""
        with self._lock:
            return self._table(resource).get((namespace or "", name))

    def snapshot(
        self, resource: str, ns: str | None = None, start_after: Key | None = None
    ) -> tuple[int, builtins.list[Obj]]:
        """(current resourceVersion, stored objects ordered by namespace/name).

        `start_after` skips keys up to and including it (pagination). Objects are the
        stored references: never mutate them.
        """
        with self._lock:
            table = self._table(resource)
            return self._rv, [table[k] for k in self._span(resource, ns, start_after)]

    def page(
        self, resource: str, ns: str | None, start_after: Key | None
    ) -> tuple[int, int, Iterator[Obj]]:
        """Like `snapshot`, for reading only the head: (resourceVersion, how many
        objects there are, a lazy iterator over them). A page of 500 out of ten
        thousand then costs 500 lookups, not ten thousand. Objects removed while
        the iterator is read are skipped."""
        with self._lock:
            table = self._table(resource)
            chosen = self._span(resource, ns, start_after)
            rv = self._rv
        return rv, len(chosen), (obj for k in chosen if (obj := table.get(k)) is not None)

    def _span(self, resource: str, ns: str | None, start_after: Key | None) -> builtins.list[Key]:
        """The sorted keys of one kind, optionally in one namespace, after `start_after`.
        Call with the lock held."""
        keys = self._sorted_keys(resource)
        lo, hi = 0, len(keys)
        if ns is not None:
            lo = bisect.bisect_left(keys, (ns, ""))
            hi = bisect.bisect_left(keys, (ns + "\x00", ""))
        if start_after is not None:
            lo = max(lo, bisect.bisect_right(keys, start_after))
        return keys[lo:hi]

    def namespace_exists(self, name: str) -> bool:
        with self._lock:
            return ("", name) in self._objects["namespaces"]

    # ---- writing -------------------------------------------------------------------------

    def create(self, resource: str, namespace: str | None, obj: Obj) -> Obj:
        """Add a new object: fills uid, creationTimestamp, resourceVersion, generateName."""
        res = BY_PLURAL[resource]
        obj = copy.deepcopy(obj)
        with self._lock:
            meta = obj.setdefault("metadata", {})
            ns = (namespace or meta.get("namespace") or "") if res.namespaced else ""
            if not meta.get("name"):
                prefix = meta.get("generateName")
                if not prefix:
                    raise ApiError(
                        422,
                        f'{res.kind} "" is invalid: metadata.name: Required value: name or '
                        "generateName is required",
                        "Invalid",
                    )
                meta["name"] = self._generate_name(resource, ns, prefix)
            key = (ns, meta["name"])
            if key in self._table(resource):
                raise already_exists(res, meta["name"])
            self._stamp_new(res, obj, ns)
            self._write(res, key, obj, "ADDED", None)
            return obj

    def put(self, resource: str, namespace: str | None, obj: Obj) -> Obj:
        """Create or replace an object (no conflict checks): for seeds, tests, controllers."""
        res = BY_PLURAL[resource]
        obj = copy.deepcopy(obj)
        with self._lock:
            meta = obj.setdefault("metadata", {})
            ns = (namespace or meta.get("namespace") or "") if res.namespaced else ""
            key = (ns, meta["name"])
            old = self._table(resource).get(key)
            if old is None:
                self._stamp_new(res, obj, ns)
                self._write(res, key, obj, "ADDED", None)
            else:
                self._keep_identity(old, obj)
                self._write(res, key, obj, "MODIFIED", old)
            return obj

    def update(
        self, resource: str, namespace: str | None, name: str, mutate: Callable[[Obj], None]
    ) -> Obj:
        """Replace an object with a mutated copy of itself, atomically."""
        res = BY_PLURAL[resource]
        with self._lock:
            key = ((namespace or "") if res.namespaced else "", name)
            old = self._table(resource).get(key)
            if old is None:
                raise not_found(res, name)
            new = copy.deepcopy(old)
            mutate(new)
            self._keep_identity(old, new)
            self._write(res, key, new, "MODIFIED", old)
            return new

    def replace(
        self, resource: str, namespace: str | None, name: str, obj: Obj, expected_rv: str | None
    ) -> Obj:
        """PUT semantics: optimistic concurrency on metadata.resourceVersion."""
        from mirrord_simcluster.status import conflict

        res = BY_PLURAL[resource]
        obj = copy.deepcopy(obj)
        with self._lock:
            key = ((namespace or "") if res.namespaced else "", name)
            old = self._table(resource).get(key)
            if old is None:
                raise not_found(res, name)
            if expected_rv and expected_rv != old["metadata"].get("resourceVersion"):
                raise conflict(
                    res,
                    name,
                    "the object has been modified; please apply your changes to "
                    "the latest version and try again",
                )
            self._keep_identity(old, obj)
            self._write(res, key, obj, "MODIFIED", old)
            return obj

    def delete(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """Remove one object (no cascading; see `gc.delete_with_dependents`)."""
        res = BY_PLURAL[resource]
        with self._lock:
            key = ((namespace or "") if res.namespaced else "", name)
            old = self._table(resource).get(key)
            if old is None:
                return None
            del self._table(resource)[key]
            self._sorted[resource] = None
            self._rv += 1
            gone = copy.copy(old)
            gone["metadata"] = dict(old["metadata"], resourceVersion=str(self._rv))
            self._emit(WatchEvent(self._rv, resource, "DELETED", gone, old))
            return gone

    def load(self, resource: str, objs: Iterable[Obj]) -> None:
        """Bulk insert fully-formed objects without per-object events (seeding)."""
        res = BY_PLURAL[resource]
        with self._lock:
            table = self._table(resource)
            for obj in objs:
                meta = obj.setdefault("metadata", {})
                ns = meta.get("namespace", "") if res.namespaced else ""
                self._stamp_new(res, obj, ns)
                self._rv += 1
                meta["resourceVersion"] = str(self._rv)
                table[(ns, meta["name"])] = obj
            self._sorted[resource] = None
            self._history.clear()
            self._oldest_rv = self._rv

    def compact(self) -> int:
        """Forget the event history: every earlier resourceVersion becomes too old."""
        with self._lock:
            self._history.clear()
            self._oldest_rv = self._rv
            return self._rv

    # ---- watching ------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def open_watch(
        self, resource: str, since: int | None, listener: Listener
    ) -> tuple[builtins.list[WatchEvent], int, Callable[[], None]]:
        """Atomically: the events to replay and a subscription to everything after.

        `since` None means "current state first": an ADDED event per existing object.
        Raises `TooOld` when `since` is older than the retained history.
        """
        with self._lock:
            if since is None:
                replay = [
                    WatchEvent(self._rv, resource, "ADDED", obj)
                    for obj in self.snapshot(resource)[1]
                ]
            else:
                if since < self._oldest_rv:
                    raise TooOld(since, self._oldest_rv)
                replay = [e for e in self._history if e.rv > since and e.resource == resource]
            return replay, self._rv, self.subscribe(listener)

    # ---- internals -----------------------------------------------------------------------

    def _table(self, resource: str) -> dict[Key, Obj]:
        try:
            return self._objects[resource]
        except KeyError:
            raise ApiError(
                404, f"the server could not find the requested resource ({resource})"
            ) from None

    def _sorted_keys(self, resource: str) -> builtins.list[Key]:
        keys = self._sorted[resource]
        if keys is None:
            keys = sorted(self._objects[resource])
            self._sorted[resource] = keys
        return keys

    def _generate_name(self, resource: str, ns: str, prefix: str) -> str:
        table = self._table(resource)
        while True:
            suffix = uuid.uuid4().hex[:5]
            if (ns, prefix + suffix) not in table:
                return prefix + suffix

    def _stamp_new(self, res: ResourceType, obj: Obj, ns: str) -> None:
        obj["kind"] = res.kind
        obj["apiVersion"] = res.api_version
        meta = obj["metadata"]
        if res.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_iso())
        if res.group in ("apps", "batch", "argoproj.io"):
            meta.setdefault("generation", 1)

    @staticmethod
    def _keep_identity(old: Obj, new: Obj) -> None:
        meta = new.setdefault("metadata", {})
        old_meta = old["metadata"]
        for field in ("uid", "creationTimestamp", "namespace", "name"):
            if field in old_meta:
                meta[field] = old_meta[field]
            else:
                meta.pop(field, None)
        new["kind"] = old["kind"]
        new["apiVersion"] = old["apiVersion"]
        if "generation" in old_meta:
            changed = old.get("spec") != new.get("spec")
            meta["generation"] = old_meta["generation"] + (1 if changed else 0)

    def _write(self, res: ResourceType, key: Key, obj: Obj, kind: str, old: Obj | None) -> None:
        table = self._table(res.plural)
        if key not in table:
            self._sorted[res.plural] = None
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        table[key] = obj
        self._emit(WatchEvent(self._rv, res.plural, kind, obj, old))

    def _emit(self, event: WatchEvent) -> None:
        self._history.append(event)
        if len(self._history) == self._history.maxlen:
            self._oldest_rv = self._history[0].rv - 1
        for listener in list(self._listeners):
            listener(event)
