"""Target discovery for one kubeconfig + context: namespaces, targets, existence checks.

Owns the cluster connection (made lazily, retried after a failure) and the
watch-backed catalog. Every method takes a deadline and raises only
`MirrordError`s; a namespace Kubernetes would not accept is `InvalidConfig`
before any request is made. Used by the LSP requests, `mirrord-ide ls` and the
live config checks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from mirrord_ide.cluster.catalog import Catalog, Snapshot
from mirrord_ide.cluster.client import ClusterClient
from mirrord_ide.cluster.gcpause import collector_paused
from mirrord_ide.cluster.kinds import api_url
from mirrord_ide.cluster.kubeconfig import ContextIdentity, KubeSettings, context_identity
from mirrord_ide.cluster.records import decode_namespace
from mirrord_ide.cluster.snapshot import (
    SnapshotKey,
    SnapshotStore,
    Stored,
    rules_fingerprint,
)
from mirrord_ide.cluster.targets import Target, TargetRules, build_targets, sort_key
from mirrord_ide.errors import Forbidden, MirrordError, NotFound
from mirrord_ide.names import check_namespace

DEFAULT_TIMEOUT = 10.0
ENCODE_CHUNK = 2048
NAMESPACE_TTL = 10.0


@dataclass(slots=True)
class NamespaceListing:
    namespaces: list[str]
    current: str
    # Set when the user may not list namespaces: only `current` is offered.
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"namespaces": self.namespaces, "current": self.current}
        if self.warning:
            out["warning"] = self.warning
        return out


@dataclass(slots=True)
class TargetListing:
    namespace: str
    targets: list[Target]
    hidden: dict[str, str] = field(default_factory=dict)  # kind -> why it is missing
    warnings: list[str] = field(default_factory=list)
    all_namespaces: bool = False
    _json: list[dict[str, Any]] | None = None
    _encoded: bytes | None = None

    def targets_json(self) -> list[dict[str, Any]]:
        if self._json is None:
            self._json = [t.to_json() for t in self.targets]
        return self._json

    def encoded(self) -> bytes:
        """`to_json()` as JSON bytes, encoded once per listing."""
        if self._encoded is None:
            if self._json is not None or len(self.targets) <= ENCODE_CHUNK:
                self._encoded = orjson.dumps(self.to_json())
            else:
                # A big cluster's targets, a chunk at a time: never a dict per target
                # for all of them at once. The envelope's strings are escaped, so its
                # first bare `"targets":[]` is the key.
                shell = self.to_json(with_targets=False)
                head, tail = orjson.dumps(shell).split(b'"targets":[]', 1)
                parts = [head, b'"targets":[']
                for i in range(0, len(self.targets), ENCODE_CHUNK):
                    chunk = self.targets[i : i + ENCODE_CHUNK]
                    if i:
                        parts.append(b",")
                    parts.append(orjson.dumps([t.to_json() for t in chunk])[1:-1])
                parts += [b"]", tail]
                self._encoded = b"".join(parts)
        return self._encoded

    def to_json(self, *, with_targets: bool = True) -> dict[str, Any]:
        targets = self.targets_json() if with_targets else []
        out: dict[str, Any] = {"namespace": self.namespace, "targets": targets}
        warnings = self.warnings + [f"{kind}s hidden: {why}" for kind, why in self.hidden.items()]
        if warnings:
            out["warnings"] = warnings
        if self.hidden:
            out["hidden"] = sorted(self.hidden)
        if self.all_namespaces:
            out["allNamespaces"] = True
        return out


def closest(name: str, candidates: list[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)


class ClusterService:
    """Discovery over one cluster connection; safe to share between requests."""

    def __init__(
        self,
        settings: KubeSettings,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        snapshots: SnapshotStore | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        # Listings kept on disk (None: not kept), and what this process listed live.
        self.snapshots = snapshots
        self._identity: ContextIdentity | None = None
        self._listed: set[tuple[str, bool]] = set()
        self._saved: dict[SnapshotKey, tuple[str, list[Target]]] = {}
        self._background: set[asyncio.Future[Any]] = set()
        # Listings are stored only once a client asked for stored ones: a client
        # that never reads them leaves nothing on disk.
        self.snapshots_wanted = False
        self._client: ClusterClient | None = None
        self._catalog: Catalog | None = None
        self._connecting: asyncio.Task[ClusterClient] | None = None
        self._namespaces: tuple[float, NamespaceListing] | None = None
        self._known: dict[str, bool] = {}  # namespace -> exists (checked once per namespace)
        self._memo: dict[Any, TargetListing] = {}
        self._closed = False

    # -- connection ---------------------------------------------------------------------

    async def client(self, timeout: float | None = None) -> ClusterClient:
        if self._closed:
            raise MirrordError("the cluster service is shut down", kind="unreachable")
        if self._client is not None:
            return self._client
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.ensure_future(
                ClusterClient.connect(self.settings, timeout=timeout or self.timeout)
            )
        try:
            client = await asyncio.wait_for(
                asyncio.shield(self._connecting), timeout or self.timeout
            )
        except TimeoutError:
            raise MirrordError("loading the kubeconfig timed out", kind="timeout") from None
        finally:
            # A failed attempt is forgotten so the next request tries again.
            task = self._connecting
            if task is not None and task.done() and (task.cancelled() or task.exception()):
                self._connecting = None
        if self._closed:
            client.close()
            raise MirrordError("the cluster service is shut down", kind="unreachable")
        if self._client is None:
            self._client = client
            self._catalog = Catalog(client)
        return self._client

    async def catalog(self, timeout: float | None = None) -> Catalog:
        await self.client(timeout)
        assert self._catalog is not None
        return self._catalog

    async def current_namespace(self, timeout: float | None = None) -> str:
        return (await self.client(timeout)).namespace

    # -- listings kept on disk ------------------------------------------------------------

    def identity(self) -> ContextIdentity | None:
        """The context's names, read from the kubeconfig without connecting (None when
        it cannot be read: the live listing will say why)."""
        if self._identity is None:
            try:
                self._identity = context_identity(self.settings)
            except MirrordError:
                return None
        return self._identity

    def quick_namespace(self) -> str | None:
        """The context's namespace, without waiting for a connection."""
        if self._client is not None:
            return self._client.namespace
        identity = self.identity()
        return identity.namespace if identity is not None else None

    def _snapshot_key(self, namespace: str, all_namespaces: bool) -> SnapshotKey | None:
        identity = self.identity()
        if identity is None:
            return None
        return SnapshotKey(identity, None if all_namespaces else namespace)

    def stored_listing(
        self, namespace: str, *, all_namespaces: bool, rules: TargetRules
    ) -> Stored | None:
        """The listing kept on disk for this view, when this process has not listed the
        view live yet (the first picker open after a restart); None otherwise."""
        if self.snapshots is None:
            return None
        self.snapshots_wanted = True
        if (namespace, all_namespaces) in self._listed:
            return None
        key = self._snapshot_key(namespace, all_namespaces)
        if key is None:
            return None
        return self.snapshots.load(key, rules_fingerprint(rules))

    def keep(self, listing: TargetListing, rules: TargetRules) -> None:
        """Note that the view was listed live, and store the listing on disk in the
        background when it changed since last stored."""
        self._listed.add((listing.namespace, listing.all_namespaces))
        if self.snapshots is None or not self.snapshots_wanted or self._closed:
            return
        key = self._snapshot_key(listing.namespace, listing.all_namespaces)
        if key is None:
            return
        fingerprint = rules_fingerprint(rules)
        # The same targets list means nothing changed since (listings are memoized).
        saved = self._saved.get(key)
        if saved is not None and saved[0] == fingerprint and saved[1] is listing.targets:
            return
        self._saved[key] = (fingerprint, listing.targets)
        body = listing.encoded()
        store = self.snapshots
        self.run_in_background(
            asyncio.get_running_loop().run_in_executor(None, store.save, key, fingerprint, body)
        )

    def run_in_background(self, work: Any) -> None:
        """Keep a task alive until it ends; its error (logged by the task) is not raised."""
        task = asyncio.ensure_future(work)
        self._background.add(task)

        def done(finished: asyncio.Future[Any]) -> None:
            self._background.discard(finished)
            if not finished.cancelled():
                finished.exception()

        task.add_done_callback(done)

    # -- namespaces ---------------------------------------------------------------------

    async def list_namespaces(self, timeout: float | None = None) -> NamespaceListing:
        """Every namespace the user may list; when listing is forbidden, only the current one."""
        timeout = timeout or self.timeout
        client = await self.client(timeout)
        cached = self._namespaces
        if cached is not None and time.monotonic() - cached[0] < NAMESPACE_TTL:
            return cached[1]
        try:
            raw = await client.list_raw(
                api_url("namespace"), timeout=timeout, transform=decode_namespace
            )
            names = sorted(ns.name for ns in raw.items)
            if client.namespace not in names:
                names.append(client.namespace)
                names.sort()
            listing = NamespaceListing(names, client.namespace)
            self._known.update(dict.fromkeys(names, True))
        except Forbidden as error:
            listing = NamespaceListing(
                [client.namespace],
                client.namespace,
                warning=f"cannot list namespaces, showing only the current one ({error.message})",
            )
        self._namespaces = (time.monotonic(), listing)
        return listing

    async def namespace_exists(self, namespace: str, timeout: float | None = None) -> bool | None:
        """True/False, or None when the user may not tell (get on namespaces forbidden).
        Raises `InvalidConfig` for a name that cannot be a namespace."""
        if namespace in self._known:
            return self._known[namespace]
        path = api_url("namespace", name=namespace)
        client = await self.client(timeout)
        try:
            await client.get_json(path, timeout=timeout or self.timeout)
            exists: bool | None = True
        except NotFound:
            exists = False
        except Forbidden:
            return None
        self._known[namespace] = bool(exists)
        return exists

    async def _require_namespace(self, namespace: str, timeout: float) -> None:
        if await self.namespace_exists(namespace, timeout) is False:
            self._known.pop(namespace, None)  # it may be created later
            try:
                names = (await self.list_namespaces(timeout)).namespaces
            except MirrordError:
                names = []
            near = closest(namespace, names)
            hint = f"did you mean {', '.join(near)}?" if near else "check `kubectl get namespaces`"
            raise NotFound(f'namespace "{namespace}" not found', hint=hint)

    # -- targets ------------------------------------------------------------------------

    async def snapshot(self, namespace: str, timeout: float | None = None) -> Snapshot:
        check_namespace(namespace)
        timeout = timeout or self.timeout
        catalog = await self.catalog(timeout)
        check = asyncio.ensure_future(self._require_namespace(namespace, timeout))
        try:
            snap = await catalog.snapshot(namespace, timeout=timeout)
        except MirrordError:
            # An unknown namespace explains a failed list best.
            await self._checked(check, catalog, namespace)
            raise
        except BaseException:
            check.cancel()
            raise
        await self._checked(check, catalog, namespace)
        return snap

    @staticmethod
    async def _checked(check: asyncio.Future[None], catalog: Catalog, namespace: str) -> None:
        try:
            await check
        except NotFound:
            catalog.drop(namespace)  # nothing to watch there
            raise

    async def list_targets(
        self,
        namespace: str | None = None,
        *,
        all_namespaces: bool = False,
        rules: TargetRules | None = None,
        timeout: float | None = None,
    ) -> TargetListing:
        timeout = timeout or self.timeout
        rules = rules or TargetRules.none()
        if namespace:
            check_namespace(namespace)
        client = await self.client(timeout)
        ns = namespace or check_namespace(client.namespace, "the kubeconfig context")
        if all_namespaces:
            return await self._list_all(ns, rules, timeout)
        snap = await self.snapshot(ns, timeout)
        return self._listing(ns, [snap], rules, all_namespaces=False)

    async def _list_all(self, current: str, rules: TargetRules, timeout: float) -> TargetListing:
        deadline = time.monotonic() + timeout
        catalog = await self.catalog(timeout)
        try:
            snap = await catalog.snapshot(None, timeout=timeout)
            if not snap.hidden:
                return self._listing(current, [snap], rules, all_namespaces=True)
        except Forbidden:
            pass
        # Some kinds cannot be read cluster-wide: go namespace by namespace. Each
        # namespace still takes the kinds the cluster-wide caches hold from them.
        left = max(deadline - time.monotonic(), 0.1)
        listing = await self.list_namespaces(left)
        left = max(deadline - time.monotonic(), 0.1)
        results = await asyncio.gather(
            *(catalog.snapshot(ns, timeout=left) for ns in listing.namespaces),
            return_exceptions=True,
        )
        snaps: list[Snapshot] = []
        skipped: list[str] = []
        for ns, result in zip(listing.namespaces, results, strict=True):
            if isinstance(result, Forbidden):
                skipped.append(ns)
            elif isinstance(result, BaseException):
                raise result
            else:
                snaps.append(result)
        memo = self._listing(current, snaps, rules, all_namespaces=True)
        out = dataclasses.replace(memo, warnings=list(memo.warnings), _encoded=None)
        if listing.warning:
            out.warnings.append(listing.warning)
        if skipped:
            out.warnings.append(f"not allowed to list targets in: {', '.join(skipped)}")
        return out

    def _listing(
        self, namespace: str, snaps: list[Snapshot], rules: TargetRules, *, all_namespaces: bool
    ) -> TargetListing:
        key = (
            namespace,
            all_namespaces,
            tuple((s.namespace, s.generations) for s in snaps),
            tuple(sorted(rules.excluded.items())),
            rules.copy_target,
        )
        memo = self._memo.get(key)
        if memo is not None:
            return memo
        targets: list[Target] = []
        hidden: dict[str, str] = {}
        with collector_paused():  # thousands of acyclic objects: see gcpause
            for snap in snaps:
                targets.extend(build_targets(snap.pods, snap.workloads, rules))
                hidden.update(snap.hidden)
            if len(snaps) > 1:
                targets.sort(key=sort_key)
        listing = TargetListing(namespace, targets, hidden, all_namespaces=all_namespaces)
        if len(self._memo) > 32:
            self._memo.clear()
        self._memo[key] = listing
        return listing

    def close(self) -> None:
        self._closed = True
        for task in list(self._background):
            task.cancel()
        if self._catalog is not None:
            self._catalog.close()
        if self._client is not None:
            self._client.close()
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
