"""Watch streams: chunked JSON lines of `{"type", "object"}` events.

Resumes from `resourceVersion` through the store's history; a version older than the
history gets a 410 `Status` in an ERROR event (then the stream ends), as the real
apiserver answers. `allowWatchBookmarks` adds periodic BOOKMARK events;
`sendInitialEvents` ends the initial ADDED burst with the `initial-events-end` bookmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

import orjson
from aiohttp import web

from mirrord_simcluster.api import Query, ResourcePath, selectors
from mirrord_simcluster.faults import Decision
from mirrord_simcluster.selectors import match_fields
from mirrord_simcluster.state import ClusterState
from mirrord_simcluster.status import bad_request, gone
from mirrord_simcluster.store import Obj, TooOld, WatchEvent
from mirrord_simcluster.streams import OpenStreams
from mirrord_simcluster.tables import table, wants_table


class WatchStream:
    def __init__(
        self,
        state: ClusterState,
        rp: ResourcePath,
        query: Query,
        accept: str,
        decision: Decision,
        streams: OpenStreams,
    ):
        self.state = state
        self.rp = rp
        self.query = query
        self.as_table = wants_table(accept)
        self.include = query.get("includeObject", "PartialObjectMetadata")
        self.decision = decision
        self.streams = streams
        self.labels, self.fields = selectors(rp.res, query)
        self._first_table = True

    def _matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.rp.namespace is not None and meta.get("namespace") != self.rp.namespace:
            return False
        if self.rp.name is not None and meta.get("name") != self.rp.name:
            return False
        if self.labels is not None and not self.labels(meta.get("labels") or {}):
            return False
        return not self.fields or match_fields(obj, self.fields)

    def _translate(self, event: WatchEvent) -> tuple[str, Obj] | None:
        now, before = self._matches(event.obj), self._matches(event.old)
        if event.type == "DELETED":
            return ("DELETED", event.obj) if before or now else None
        if now and before:
            return ("MODIFIED", event.obj)
        if now:
            return ("ADDED", event.obj)
        if before:  # stopped matching the selector: gone from this watch's view
            return ("DELETED", event.obj)
        return None

    def _line(self, kind: str, obj: Obj) -> bytes:
        if self.as_table and kind in ("ADDED", "MODIFIED", "DELETED"):
            obj = table(
                self.rp.res.plural,
                [obj],
                {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                self.include,
                with_definitions=self._first_table,
            )
            self._first_table = False
        return orjson.dumps({"type": kind, "object": obj}) + b"\n"

    def _bookmark(self, rv: int, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.rp.res.kind, "apiVersion": self.rp.res.api_version, "metadata": meta}
        return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

    async def serve(self, request: web.Request) -> web.StreamResponse:
        raw_rv = self.query.get("resourceVersion", "")
        send_initial = self.query.get("sendInitialEvents", "").lower() == "true"
        since: int | None
        if raw_rv in ("", "0") or send_initial:
            since = None
        else:
            try:
                since = int(raw_rv)
            except ValueError:
                raise bad_request(f"invalid resource version {raw_rv!r}") from None
        timeout_raw = self.query.get("timeoutSeconds")
        try:
            timeout = (
                float(timeout_raw) if timeout_raw else self.state.options.default_watch_timeout
            )
        except ValueError:
            raise bad_request(f"invalid timeoutSeconds {timeout_raw!r}") from None
        if self.decision.drop_watch_after is not None:
            timeout = min(timeout, self.decision.drop_watch_after)

        loop = asyncio.get_running_loop()
        # Events arrive from any thread (the store may be changed by tests or controllers);
        # they are handed to this loop, queued here and signalled through `wake`.
        pending: deque[WatchEvent] = deque()
        wake = asyncio.Event()

        def deliver(event: WatchEvent) -> None:
            pending.append(event)
            wake.set()

        def listener(event: WatchEvent) -> None:
            if event.resource == self.rp.res.plural and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(deliver, event)

        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)

        if self.decision.gone:
            await response.write(
                self._error_line(
                    gone(
                        f"too old resource version: {raw_rv or 0} "
                        f"({self.state.store.resource_version})"
                    )
                )
            )
            await response.write_eof()
            return response
        try:
            replay, rv, unsubscribe = self.state.store.open_watch(
                self.rp.res.plural, since, listener
            )
        except TooOld as exc:
            await response.write(self._error_line(gone(str(exc))))
            await response.write_eof()
            return response

        try:
            with self.streams.track(wake.set):
                buffer = [self._line(*t) for t in map(self._translate, replay) if t is not None]
                del replay
                if send_initial:
                    buffer.append(self._bookmark(rv, initial_end=True))
                if buffer:
                    await response.write(b"".join(buffer))
                del buffer
                await self._follow(response, pending, wake, since, rv, timeout)
        finally:
            unsubscribe()
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    async def _follow(
        self,
        response: web.StreamResponse,
        pending: deque[WatchEvent],
        wake: asyncio.Event,
        since: int | None,
        last_rv: int,
        timeout: float,
    ) -> None:
        """Stream events until the timeout or a server shutdown; bookmarks when asked."""
        deadline = time.monotonic() + timeout
        bookmarks = self.query.get("allowWatchBookmarks", "").lower() == "true"
        interval = self.state.options.bookmark_interval
        next_bookmark = time.monotonic() + interval
        while not self.streams.closing:
            now = time.monotonic()
            if now >= deadline:
                return
            if not pending:
                wake_at = min(deadline, next_bookmark) if bookmarks else deadline
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, wake_at - now)):
                        await wake.wait()
                wake.clear()
            if not pending:
                if bookmarks and time.monotonic() >= next_bookmark:
                    await response.write(self._bookmark(last_rv))
                    next_bookmark = time.monotonic() + interval
                continue
            chunk = []
            while pending:
                event = pending.popleft()
                if since is not None and event.rv <= since:
                    continue
                last_rv = max(last_rv, event.rv)
                translated = self._translate(event)
                if translated is not None:
                    chunk.append(self._line(*translated))
            if chunk:
                await response.write(b"".join(chunk))

    @staticmethod
    def _error_line(error: Any) -> bytes:
        return orjson.dumps({"type": "ERROR", "object": error.status()}) + b"\n"
