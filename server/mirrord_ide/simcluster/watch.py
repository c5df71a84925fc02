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
from typing import Any

import orjson
from aiohttp import web

from mirrord_ide.simcluster.api import Query, ResourcePath, selectors
from mirrord_ide.simcluster.faults import Decision
from mirrord_ide.simcluster.selectors import match_fields
from mirrord_ide.simcluster.state import ClusterState
from mirrord_ide.simcluster.status import bad_request, gone
from mirrord_ide.simcluster.store import Obj, TooOld, WatchEvent
from mirrord_ide.simcluster.tables import table, wants_table

_END = object()


class WatchStream:
    def __init__(
        self,
        state: ClusterState,
        rp: ResourcePath,
        query: Query,
        accept: str,
        decision: Decision,
        closing: asyncio.Event,
    ):
        self.state = state
        self.rp = rp
        self.query = query
        self.as_table = wants_table(accept)
        self.include = query.get("includeObject", "PartialObjectMetadata")
        self.decision = decision
        self.closing = closing
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
        queue: asyncio.Queue[Any] = asyncio.Queue()

        def listener(event: WatchEvent) -> None:
            if event.resource == self.rp.res.plural:
                loop.call_soon_threadsafe(queue.put_nowait, event)

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
            buffer = [self._line(*t) for t in map(self._translate, replay) if t is not None]
            if send_initial:
                buffer.append(self._bookmark(rv, initial_end=True))
            if buffer:
                await response.write(b"".join(buffer))
            last_rv = rv
            deadline = time.monotonic() + timeout
            bookmarks = self.query.get("allowWatchBookmarks", "").lower() == "true"
            next_bookmark = time.monotonic() + self.state.options.bookmark_interval
            closing_task = asyncio.ensure_future(self.closing.wait())
            getter: asyncio.Future[Any] | None = None
            try:
                while not self.closing.is_set():
                    now = time.monotonic()
                    wake = deadline if not bookmarks else min(deadline, next_bookmark)
                    if now >= deadline:
                        break
                    if getter is None:
                        getter = asyncio.ensure_future(queue.get())
                    done, _ = await asyncio.wait(
                        {getter, closing_task},
                        timeout=max(0.0, wake - now),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if getter not in done:
                        if bookmarks and time.monotonic() >= next_bookmark:
                            await response.write(self._bookmark(last_rv))
                            next_bookmark = time.monotonic() + self.state.options.bookmark_interval
                        continue
                    events = [getter.result()]
                    getter = None
                    while not queue.empty():
                        events.append(queue.get_nowait())
                    chunk = []
                    for event in events:
                        if since is not None and event.rv <= since:
                            continue
                        last_rv = max(last_rv, event.rv)
                        translated = self._translate(event)
                        if translated is not None:
                            chunk.append(self._line(*translated))
                    if chunk:
                        await response.write(b"".join(chunk))
            finally:
                closing_task.cancel()
                if getter is not None:
                    getter.cancel()
        except (ConnectionResetError, asyncio.CancelledError):
            unsubscribe()
            raise
        unsubscribe()
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    @staticmethod
    def _error_line(error: Any) -> bytes:
        return orjson.dumps({"type": "ERROR", "object": error.status()}) + b"\n"
