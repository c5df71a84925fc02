"""The API calls the agent launch makes, over the shared `ClusterClient`.

Every blocking call runs off the event loop with a deadline and leaves as a
`MirrordError`. Watches run on their own thread (not the client's pool, which
short requests share) and feed an asyncio queue; closing the watch shuts its
socket so the thread ends at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from typing import Any, Protocol

import orjson

from mirrord_ide.cluster.client import ClusterClient, LineStream, WatchStream, map_api_error
from mirrord_ide.cluster.kinds import api_url
from mirrord_ide.errors import MirrordError, NotFound

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 15.0


class AgentKube:
    """Narrow API surface for resolving targets and running agent Jobs."""

    def __init__(self, cluster: ClusterClient) -> None:
        self.cluster = cluster
        self._pf_client: Any = None
        self._pf_lock = threading.Lock()

    @property
    def default_namespace(self) -> str:
        return self.cluster.namespace

    async def get(self, path: str, *, timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
        result = await self.cluster.get_json(path, timeout=timeout)
        return dict(result) if isinstance(result, Mapping) else {}

    async def get_optional(self, path: str) -> dict[str, Any] | None:
        try:
            return await self.get(path)
        except NotFound:
            return None

    async def list_items(
        self, path: str, label_selector: str | None = None, *, timeout: float = REQUEST_TIMEOUT
    ) -> tuple[list[dict[str, Any]], str]:
        result = await self.cluster.list_raw(path, label_selector, timeout=timeout)
        return list(result.items), result.resource_version

    async def create(self, path: str, body: Mapping[str, Any], what: str) -> dict[str, Any]:
        raw = await self._send("POST", path, what, body=dict(body))
        return dict(orjson.loads(raw)) if raw else {}

    async def delete(self, path: str, what: str, *, propagation: str = "Background") -> bool:
        """DELETE; False when it was already gone."""
        try:
            await self._send("DELETE", path, what, body=_delete_options(propagation))
        except NotFound:
            return False
        return True

    def send_sync(
        self, method: str, path: str, body: dict[str, Any], timeout: float = REQUEST_TIMEOUT
    ) -> bytes:
        """Blocking request with a JSON body; non-2xx raises the client's ApiException."""
        from kubernetes.client.exceptions import ApiException

        api = self.cluster.api_client
        serialized = api.param_serialize(
            method,
            path,
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*serialized, _request_timeout=timeout)
        response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=response)
        return bytes(response.data or b"")

    def delete_sync(self, path: str, timeout: float = 5.0) -> bool:
        """Blocking DELETE for process exit, when no event loop is left. Never raises."""
        try:
            self.send_sync("DELETE", path, _delete_options("Background"), timeout)
            return True
        except Exception as exc:  # noqa: BLE001 - best effort at exit
            error = map_api_error(exc, f"DELETE {path}")
            return isinstance(error, NotFound)

    async def _send(self, method: str, path: str, what: str, *, body: dict[str, Any]) -> bytes:
        def send_request() -> bytes:
            return self.send_sync(method, path, body)

        try:
            return await self.cluster.call(send_request, timeout=REQUEST_TIMEOUT)
        except MirrordError as error:
            prefix = "send request"
            if error.message.startswith(prefix):
                error.message = what + error.message[len(prefix) :]
                error.args = (error.message,)
            raise

    async def read_log(self, namespace: str, pod: str, container: str) -> str:
        def run() -> str:
            raw = self.cluster.request_sync(
                "GET",
                api_url("pod", namespace, pod, "log"),
                {"container": container},
                timeout=REQUEST_TIMEOUT,
            )
            return bytes(raw.data or b"").decode("utf-8", errors="replace")

        return await self.cluster.call(run, timeout=REQUEST_TIMEOUT)

    def watch(
        self, path: str, resource_version: str, label_selector: str, timeout_seconds: int
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Watch events from `resource_version`; ends when the server ends the
        stream. Leaving the iterator early stops the watch thread."""

        def open_stream() -> WatchStream:
            return self.cluster.open_watch(
                path,
                resource_version,
                label_selector=label_selector,
                timeout_seconds=timeout_seconds,
            )

        return _threaded(open_stream, "watching the agent pod")

    def follow_log(self, namespace: str, pod: str, container: str) -> AsyncGenerator[str, None]:
        """The pod's log lines as they are written (`follow=true`)."""

        def open_stream() -> LineStream:
            raw = self.cluster.request_sync(
                "GET",
                api_url("pod", namespace, pod, "log"),
                {"container": container, "follow": True},
                timeout=(10.0, 300.0),
                stream=True,
            )
            return LineStream(raw)

        return _threaded(open_stream, f"reading the log of pod `{pod}`")

    def open_portforward(self, namespace: str, pod: str, port: int) -> Any:
        """Blocking: a port-forward websocket to `pod:port` (the client's
        PortForward object; its `socket(port)` is one end of a socket pair)."""
        from kubernetes import client as k8s
        from kubernetes.stream import portforward

        # `portforward` swaps the ApiClient's transport while it runs, so it gets
        # a client of its own (same configuration) and one caller at a time.
        with self._pf_lock:
            if self._pf_client is None:
                self._pf_client = k8s.ApiClient(self.cluster.api_client.configuration)
            api = _PortForwardApi(self._pf_client)
            try:
                return portforward(api.connect, pod, namespace, ports=str(port))
            except Exception as exc:  # noqa: BLE001 - mapped to a domain error
                raise map_api_error(_refused_upgrade(exc), f"port-forward to pod `{pod}`") from None

    def close(self) -> None:
        if self._pf_client is not None:
            with contextlib.suppress(Exception):
                self._pf_client.close()


class _PortForwardApi:
    """The one generated-client method `portforward` needs, without loading
    the (large, slow to import) CoreV1Api module."""

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client

    def connect(self, name: str, namespace: str, ports: str, **kwargs: Any) -> Any:
        serialized = self.api_client.param_serialize(
            "GET",
            api_url("pod", namespace, name, "portforward"),
            query_params=[("ports", ports)],
            header_params={},
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(
            *serialized, _request_timeout=kwargs.get("_request_timeout")
        )
        return response.response


def _refused_upgrade(exc: Exception) -> Exception:
    """The websocket client's refused upgrade (`WebSocketBadStatusException`:
    status and the API's Status body, which the client wraps in a status-0
    `ApiException`) as the API error it is, so a 403 reads as the API
    server's forbidden message."""
    refused: Any = exc
    while refused is not None and not isinstance(getattr(refused, "status_code", None), int):
        refused = refused.__context__
    if refused is None:
        return exc
    status = int(refused.status_code)
    from kubernetes.client.exceptions import ApiException

    error = ApiException(status=status, reason="port-forward refused")
    body = getattr(refused, "resp_body", None)
    error.body = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return error


def _delete_options(propagation: str) -> dict[str, Any]:
    return {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}


class _Closable(Protocol):
    def __iter__(self) -> Iterator[Any]: ...

    def close(self) -> None: ...


async def _threaded(open_stream: Callable[[], _Closable], what: str) -> AsyncGenerator[Any, None]:
    """Iterate a blocking stream on a thread of its own, handing items to the
    loop. Leaving the iterator closes the stream, which ends the thread."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    holder: list[_Closable] = []
    stop = threading.Event()

    def put(kind: str, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop may be closed at exit
            loop.call_soon_threadsafe(queue.put_nowait, (kind, value))

    def pump() -> None:
        try:
            stream = open_stream()
            holder.append(stream)
            if stop.is_set():
                stream.close()
                return
            for item in stream:
                if stop.is_set():
                    return
                put("item", item)
            put("end", None)
        except BaseException as exc:  # noqa: BLE001 - handed to the loop
            if not stop.is_set():
                put("error", exc)

    thread = threading.Thread(target=pump, name="k8s-stream", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise map_api_error(value, what)
    finally:
        stop.set()
        for stream in holder:
            stream.close()
