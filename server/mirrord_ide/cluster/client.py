"""The one place that talks to the Kubernetes API.

The official client is blocking, so every call runs on a small thread pool
with a deadline; the event loop never waits on the network. Lists and gets
bypass the client's typed models (slow on big namespaces): responses are read
raw, page by page, and decoded straight into slim records (see `fastlist`)
while the next page is on its way. Every failure leaves this module as
a `MirrordError` with the contract's kind; no message carries a credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import orjson

from mirrord_ide.cluster.fastlist import Page, PageDecoder
from mirrord_ide.cluster.gcpause import collector_paused
from mirrord_ide.cluster.kubeconfig import KubeSettings, KubeTarget, load_kube_target
from mirrord_ide.errors import (
    ClusterUnreachable,
    Forbidden,
    MirrordError,
    NotFound,
    Timeout,
    Unauthorized,
)

T = TypeVar("T")
P = ParamSpec("P")
# Measured on 10,000 pods: pages of 1,000-2,000 win. Decoding one page overlaps
# fetching the next; smaller pages pay more round trips, and a single big page
# leaves the decoder idle until it has all arrived.
PAGE_SIZE = 1000
UNREACHABLE_HINT = "check that the cluster is up and KUBECONFIG/context point at it"
UNAUTHORIZED_HINT = "credentials expired or rejected: refresh them (e.g. re-run your cloud login)"
# Opening a connection (TCP connect and TLS handshake) never takes longer than this:
# a server that accepts TCP but never completes TLS is reported as unreachable.
CONNECT_TIMEOUT = 5.0
CA_HINT = (
    "set the cluster's certificate-authority (or certificate-authority-data) in the "
    "kubeconfig to the CA that signed the API server's certificate"
)


class DaemonPool(Executor):
    """A thread pool whose threads never hold the process at exit.

    `ThreadPoolExecutor` (and `asyncio.to_thread`) threads are joined when the
    interpreter exits, so one call stuck on a silent server or a credential
    plugin would keep an `exit`ed server alive. These threads are daemons and
    `shutdown` never waits: abandoned calls are dropped with the process."""

    def __init__(self, max_workers: int, name: str) -> None:
        self._max = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._shutdown = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new calls after shutdown")
            future: Future[T] = Future()
            self._queue.put((future, functools.partial(fn, *args, **kwargs)))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            return future

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, call = item
            del item
            if future.set_running_or_notify_cancel():
                try:
                    result = call()
                except BaseException as error:  # noqa: BLE001 - handed to the waiter
                    future.set_exception(error)
                else:
                    future.set_result(result)
            del future, call
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if self._shutdown:
                return
            self._shutdown = True
            if cancel_futures:
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
            for _ in self._threads:
                self._queue.put(None)


# Kubeconfig loading (files, credential plugins) runs here, off the event loop.
_LOADER = DaemonPool(4, "kubeconfig")


def request_timeout(
    timeout: float | tuple[float, float] | None,
) -> tuple[float, float | None]:
    """(connect, read) seconds: the connect part (TCP and TLS) is bounded on its own."""
    if timeout is None:
        return (CONNECT_TIMEOUT, None)
    if isinstance(timeout, tuple):
        return (min(timeout[0], CONNECT_TIMEOUT), timeout[1])
    return (min(timeout, CONNECT_TIMEOUT), timeout)


def _status_message(body: Any) -> str | None:
    """The `message` of a Kubernetes `Status` body, if the body is one."""
    if not body:
        return None
    try:
        data = orjson.loads(body)
    except (orjson.JSONDecodeError, TypeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return None


def _is_timeout(exc: BaseException) -> bool:
    from urllib3.exceptions import ReadTimeoutError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, TimeoutError | socket.timeout | ReadTimeoutError | Urllib3Timeout):
            # A connect timeout is an unreachable cluster, not a slow one.
            from urllib3.exceptions import ConnectTimeoutError

            return not isinstance(cur, ConnectTimeoutError)
        reason = getattr(cur, "reason", None)
        cur = reason if isinstance(reason, BaseException) else cur.__cause__ or cur.__context__
    return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what caused it (urllib3 wraps the real error in `reason`)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        reason = getattr(cur, "reason", None)
        cur = reason if isinstance(reason, BaseException) else cur.__cause__ or cur.__context__


def _handshake_stalled(exc: BaseException) -> bool:
    """A TCP connection was accepted but the TLS handshake never finished."""
    return any(
        isinstance(e, TimeoutError | socket.timeout) and "handshake" in str(e).lower()
        for e in _chain(exc)
    )


def _tls_problem(exc: BaseException) -> tuple[str, str] | None:
    """What is wrong with the TLS session, in kubectl's terms (x509: ...), and a hint."""
    for error in _chain(exc):
        if isinstance(error, ssl.SSLCertVerificationError):
            reason = str(error.verify_message or error.reason or "").lower()
            if "expired" in reason:
                return (
                    "the cluster's certificate has expired (x509: certificate has expired)",
                    "renew the API server's certificate, or check this machine's clock",
                )
            if "not yet valid" in reason:
                return (
                    "the cluster's certificate is not valid yet (x509: certificate is not yet "
                    "valid)",
                    "check this machine's clock",
                )
            if "hostname" in reason or "ip address mismatch" in reason:
                return (
                    "the cluster's certificate is not valid for the server's address "
                    "(x509: certificate is valid for other names)",
                    "use the address the certificate names in the kubeconfig's `server`, or "
                    "set `tls-server-name`",
                )
            return (
                "the cluster's certificate is not trusted (x509: certificate signed by "
                "unknown authority)",
                CA_HINT,
            )
        if isinstance(error, ssl.SSLError):
            reason = str(error.reason or "").lower()
            if "certificate" in reason and ("bad" in reason or "unknown" in reason):
                return (
                    "the cluster rejected the client certificate (tls: bad certificate)",
                    "check client-certificate and client-key in the kubeconfig "
                    "(expired, or not signed by the cluster's CA)",
                )
            if "wrong version number" in reason or "record layer" in reason:
                return (
                    "the server did not answer TLS (is the `server` address an https API server?)",
                    "check the cluster's server URL in the kubeconfig",
                )
            if "key values mismatch" in reason or "pem" in reason:
                return (
                    "the kubeconfig's client certificate or key cannot be used",
                    "check client-certificate and client-key in the kubeconfig",
                )
            return (
                f"TLS handshake with the API server failed ({reason or 'unknown reason'})",
                "check the cluster's certificate-authority in the kubeconfig",
            )
    return None


def map_api_error(exc: BaseException, what: str) -> MirrordError:
    """Turn anything the client raised while doing `what` into a domain error."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError, SSLError

    if isinstance(exc, MirrordError):
        return exc
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        detail = _status_message(exc.body)
        if status == 401:
            return Unauthorized(
                f"{what}: the cluster rejected the credentials", hint=UNAUTHORIZED_HINT
            )
        if status == 403:
            return Forbidden(
                detail or f"{what}: forbidden", hint="ask for RBAC access or pick another namespace"
            )
        if status == 404:
            return NotFound(detail or f"{what}: not found")
        if status == 409:
            return MirrordError(detail or f"{what}: conflict", kind="conflict")
        if status in (408, 504) or (status == 500 and detail and "timeout" in detail.lower()):
            return Timeout(f"{what}: the API server timed out", hint=UNREACHABLE_HINT)
        if status == 0:
            return ClusterUnreachable(
                f"{what}: {exc.reason or 'no response'}", hint=UNREACHABLE_HINT
            )
        return ClusterUnreachable(
            f"{what}: the API server answered {status} {detail or exc.reason or ''}".rstrip(),
            hint="the cluster is having trouble; try again shortly",
        )
    if _handshake_stalled(exc):
        return ClusterUnreachable(
            f"{what}: the API server accepted the connection but did not complete the TLS "
            f"handshake within {CONNECT_TIMEOUT:g}s",
            hint="check the cluster's address and port in the kubeconfig (is it the API "
            "server?), and any proxy or VPN in between",
        )
    if isinstance(exc, asyncio.TimeoutError) or _is_timeout(exc):
        return Timeout(f"{what}: no answer from the cluster in time", hint=UNREACHABLE_HINT)
    tls = _tls_problem(exc)
    if tls is not None or isinstance(exc, SSLError | ssl.SSLError):
        problem, hint = tls or (
            "TLS handshake with the API server failed",
            "check the cluster's certificate-authority in the kubeconfig",
        )
        return ClusterUnreachable(f"{what}: {problem}", hint=hint)
    if isinstance(exc, HTTPError | ConnectionError | OSError):
        return ClusterUnreachable(f"{what}: cannot connect to the cluster", hint=UNREACHABLE_HINT)
    if isinstance(exc, ConfigException):
        return MirrordError(f"{what}: {exc}", kind="invalid-config")
    return ClusterUnreachable(f"{what}: {type(exc).__name__}", hint=UNREACHABLE_HINT)


@dataclass(slots=True)
class RawList:
    """A complete (all pages) list: items (raw dicts, or whatever the page
    transform made of them) and the resourceVersion to watch from."""

    items: list[Any] = field(default_factory=list)
    resource_version: str = ""


def _query(params: dict[str, Any] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append((key, str(value)))
    return out


class LineStream:
    """Lines of a blocking streamed response (watch events, followed logs).
    `close()` may be called from another thread to stop a read in progress."""

    # Whether a last line without a newline is still handed out when the stream ends.
    keep_tail = True

    def __init__(self, response: Any) -> None:
        self._response = response
        self._closed = False

    def lines(self) -> Iterator[bytes]:
        buffer = b""
        try:
            for chunk in self._response.stream(amt=None, decode_content=False):
                if self._closed:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    yield line
            if buffer and self.keep_tail:
                yield buffer
        finally:
            self.close()

    def __iter__(self) -> Iterator[Any]:
        for line in self.lines():
            yield line.decode("utf-8", errors="replace")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for method in ("shutdown", "release_conn"):
            # Best effort: the socket may already be gone.
            with contextlib.suppress(Exception):
                getattr(self._response, method)()


class WatchStream(LineStream):
    """A blocking stream of watch events (parsed dicts)."""

    # A watch cut mid-event leaves half a JSON object: drop it, the watch resumes.
    keep_tail = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for line in self.lines():
            if line.strip():
                event = orjson.loads(line)
                if isinstance(event, dict):
                    yield event


class ClusterClient:
    """One API connection (per kubeconfig + context) and its worker pool."""

    def __init__(self, target: KubeTarget, *, max_workers: int = 8) -> None:
        self._target = target
        self._pool = DaemonPool(max_workers, "k8s")
        # Page prefetches get their own threads: a list running on the pool never waits
        # for a pool slot held by another list.
        self._prefetch = DaemonPool(max_workers, "k8s-page")
        self._closed = threading.Event()

    @classmethod
    def from_settings(cls, settings: KubeSettings) -> ClusterClient:
        """Blocking: reads the kubeconfig (and may run an exec plugin)."""
        return cls(load_kube_target(settings))

    @classmethod
    async def connect(cls, settings: KubeSettings, *, timeout: float = 15.0) -> ClusterClient:
        try:
            loop = asyncio.get_running_loop()
            loading = loop.run_in_executor(_LOADER, load_kube_target, settings)
            target = await asyncio.wait_for(loading, timeout)
        except TimeoutError:
            raise Timeout(
                "loading the kubeconfig took too long (a slow credential plugin?)",
                hint="run `kubectl get ns` in a terminal to check the credentials",
            ) from None
        return cls(target)

    @property
    def namespace(self) -> str:
        return self._target.namespace

    @property
    def context(self) -> str:
        return self._target.context

    @property
    def server(self) -> str:
        return self._target.server

    @property
    def api_client(self) -> Any:
        return self._target.api_client

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
        """Run a blocking client call off the event loop, bounded by `timeout` seconds."""
        if self._closed.is_set():
            raise ClusterUnreachable("the cluster connection is closed")
        loop = asyncio.get_running_loop()
        what = getattr(fn, "__name__", "cluster call").replace("_", " ")
        try:
            future = loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise Timeout(
                f"{what}: no answer from the cluster within {timeout:g}s", hint=UNREACHABLE_HINT
            ) from None
        except MirrordError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to the contract's kinds
            raise map_api_error(exc, what) from None

    # -- raw HTTP (blocking; run through `call`) ---------------------------------

    def request_sync(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        *,
        timeout: float | tuple[float, float] | None,
        stream: bool = False,
    ) -> Any:
        """Send one request; return the urllib3 response (body unread if `stream`).
        Non-2xx answers raise the client's ApiException."""
        from kubernetes.client.exceptions import ApiException

        api = self.api_client
        serialized = api.param_serialize(
            method,
            path,
            query_params=_query(query),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*serialized, _request_timeout=request_timeout(timeout))
        raw = response.response
        if not 200 <= response.status <= 299:
            response.read()
            raise ApiException(http_resp=response)
        if not stream:
            response.read()
        return raw

    def get_json_sync(self, path: str, query: dict[str, Any] | None, timeout: float) -> Any:
        raw = self.request_sync("GET", path, query, timeout=timeout)
        return orjson.loads(raw.data)

    def list_raw_sync(
        self,
        path: str,
        label_selector: str | None,
        field_selector: str | None,
        deadline: float,
        transform: Callable[[dict[str, Any]], Any] | None,
        page_decoder: PageDecoder | None = None,
    ) -> RawList:
        """Blocking: every page of a list. The next page is requested while the
        current one is parsed, so network time and parsing overlap."""
        result = RawList()

        def fetch(token: str | None) -> bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            query = {
                "limit": PAGE_SIZE,
                "continue": token,
                "labelSelector": label_selector,
                "fieldSelector": field_selector,
            }
            return bytes(self.request_sync("GET", path, query, timeout=remaining).data)

        body = fetch(None)
        while True:
            ahead = _peek_continue(body)
            upcoming: Future[bytes] | None = (
                self._prefetch.submit(fetch, ahead) if ahead is not None else None
            )
            try:
                page = _decode_page(body, path, transform, page_decoder)
                del body
            except BaseException:
                if upcoming is not None:
                    upcoming.cancel()
                raise
            result.items.extend(page.items)
            result.resource_version = page.resource_version or result.resource_version
            token = page.next
            del page
            if upcoming is not None and token == ahead:
                body = upcoming.result()
            elif token:
                body = fetch(token)  # the peek missed: fetch in order
            else:
                return result

    async def get_json(
        self, path: str, query: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """GET `path` and return the parsed JSON body."""
        try:
            return await self.call(self.get_json_sync, path, query, timeout, timeout=timeout)
        except MirrordError as error:
            raise _rename(error, "get_json_sync", f"GET {path}") from None

    async def list_raw(
        self,
        path: str,
        label_selector: str | None = None,
        field_selector: str | None = None,
        *,
        timeout: float,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        page_decoder: PageDecoder | None = None,
    ) -> RawList:
        """List every item under `path`, following `continue` in pages of `PAGE_SIZE`.
        `transform` (run per item, off the loop) shrinks raw items as they arrive;
        returning None drops an item. `page_decoder` turns a whole raw page into
        records at once (the fast path); a page it declines goes through `transform`."""
        deadline = time.monotonic() + timeout
        try:
            return await self.call(
                self.list_raw_sync,
                path,
                label_selector,
                field_selector,
                deadline,
                transform,
                page_decoder,
                timeout=timeout,
            )
        except MirrordError as error:
            raise _rename(error, "list_raw_sync", f"list {path}") from None

    def open_watch(
        self,
        path: str,
        resource_version: str,
        *,
        label_selector: str | None = None,
        timeout_seconds: int = 300,
        connect_timeout: float = 10.0,
    ) -> WatchStream:
        """Blocking: start a watch (with bookmarks) from `resource_version`."""
        query = {
            "watch": True,
            "resourceVersion": resource_version,
            "allowWatchBookmarks": True,
            "timeoutSeconds": timeout_seconds,
            "labelSelector": label_selector,
        }
        raw = self.request_sync(
            "GET", path, query, timeout=(connect_timeout, timeout_seconds + 30.0), stream=True
        )
        return WatchStream(raw)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._prefetch.shutdown(wait=False, cancel_futures=True)
        try:
            self.api_client.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _decode_page(
    body: bytes,
    path: str,
    transform: Callable[[dict[str, Any]], Any] | None,
    page_decoder: PageDecoder | None,
) -> Page:
    with collector_paused():
        return _decode_page_now(body, path, transform, page_decoder)


def _decode_page_now(
    body: bytes,
    path: str,
    transform: Callable[[dict[str, Any]], Any] | None,
    page_decoder: PageDecoder | None,
) -> Page:
    if page_decoder is not None:
        fast = page_decoder(body)
        if fast is not None:
            return fast
    raw = orjson.loads(body)
    if not isinstance(raw, dict):
        raise ValueError(f"unexpected list response for {path}")
    items = raw.get("items") or []
    if transform is not None:
        items = [r for r in map(transform, items) if r is not None]
    meta = raw.get("metadata") or {}
    token = meta.get("continue") or None
    return Page(items, str(meta.get("resourceVersion") or ""), str(token) if token else None)


_CONTINUE = b'"continue":"'


def _peek_continue(body: bytes) -> str | None:
    """The list's `continue` token, read from the head of the raw page (the
    apiserver writes `metadata` before `items`) without parsing the page."""
    head = body[:4096]
    at = head.find(_CONTINUE)
    if at < 0:
        return None
    start = at + len(_CONTINUE)
    end = head.find(b'"', start)
    if end < 0 or b"\\" in head[start:end]:
        return None
    return head[start:end].decode("ascii", "replace")


def _rename(error: MirrordError, internal: str, what: str) -> MirrordError:
    """Name the operation by its URL path rather than the internal function."""
    internal_words = internal.replace("_", " ")
    if error.message.startswith(internal_words):
        error.message = what + error.message[len(internal_words) :]
        error.args = (error.message,)
    return error
