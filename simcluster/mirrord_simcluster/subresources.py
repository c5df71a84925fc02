"""Pod subresources: `log` (plain text, optionally followed) and `portforward` (websocket).

Port-forward speaks the channel protocol the official client uses
(`kubernetes.stream.portforward`, subprotocol `v4.channel.k8s.io`): binary frames whose
first byte is the channel; per requested port `i`, channel `2i` carries data and `2i+1`
errors; the first frame on each carries the port as 2 bytes little endian. Data reaches
the simulated agent (see `agent.py`) when the pod runs a mirrord agent listening on that
port; any other port gets a connection-refused message on its error channel. The stream
ends when the agent closes its end of the connection or exits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import WSCloseCode, WSMsgType, web

from mirrord_simcluster import agent
from mirrord_simcluster.api import Query, ResourcePath, get_object
from mirrord_simcluster.objects import agent_port
from mirrord_simcluster.state import ClusterState
from mirrord_simcluster.status import ApiError, bad_request
from mirrord_simcluster.store import Obj
from mirrord_simcluster.streams import STREAMS_KEY

PORTFORWARD_PROTOCOLS = ("v4.channel.k8s.io", "portforward.k8s.io")


async def handle_subresource(
    request: web.Request, state: ClusterState, rp: ResourcePath, query: Query
) -> web.StreamResponse:
    if rp.res.plural == "pods" and rp.sub == "log" and request.method == "GET":
        return await _logs(request, state, rp, query)
    if rp.res.plural == "pods" and rp.sub == "portforward":
        return await _portforward(request, state, rp, query)
    raise ApiError(404, "the server could not find the requested resource", "NotFound", {})


def _container(pod: Obj, requested: str | None) -> Obj:
    containers = pod["spec"].get("containers", [])
    name = pod["metadata"]["name"]
    if requested:
        for c in containers:
            if c["name"] == requested:
                return c
        raise bad_request(f"container {requested} is not valid for pod {name}")
    default = (pod["metadata"].get("annotations") or {}).get(
        "kubectl.kubernetes.io/default-container"
    )
    if len(containers) == 1:
        return containers[0]
    for c in containers:
        if c["name"] == default:
            return c
    names = " ".join(c["name"] for c in containers)
    raise bad_request(
        f"a container name must be specified for pod {name}, choose one of: [{names}]"
    )


def _log_lines(state: ClusterState, pod: Obj, container: Obj) -> list[str]:
    status = next(
        (
            s
            for s in pod.get("status", {}).get("containerStatuses") or []
            if s["name"] == container["name"]
        ),
        None,
    )
    state_now = (status or {}).get("state") or {}
    if status is None or ("waiting" in state_now and not status.get("lastState")):
        reason = state_now.get("waiting", {}).get("reason", "ContainerCreating")
        raise bad_request(
            f'container "{container["name"]}" in pod "{pod["metadata"]["name"]}" '
            f"is waiting to start: {reason}"
        )
    if "mirrord" in container.get("image", ""):
        if state.agents is not None:
            return state.agents.log_lines(pod)
        return [agent.ready_line(pod, state.options.agent_version)]
    lines = [f"starting {container['name']} ({container['image']})"]
    if "waiting" in state_now or "terminated" in (status.get("lastState") or {}):
        lines.append("panic: failed to load configuration: missing required setting")
    else:
        lines.append(f"{container['name']} listening")
    return lines


async def _logs(
    request: web.Request, state: ClusterState, rp: ResourcePath, query: Query
) -> web.StreamResponse:
    pod = get_object(state, rp)
    container = _container(pod, query.get("container"))
    lines = _log_lines(state, pod, container)
    tail = query.get("tailLines")
    if tail and tail.isdigit():
        lines = lines[-int(tail) :] if int(tail) else []
    text = "".join(line + "\n" for line in lines).encode()
    if query.get("follow", "").lower() not in ("1", "true"):
        return web.Response(body=text, content_type="text/plain")
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(text)
    uid = pod["metadata"]["uid"]
    streams = request.app[STREAMS_KEY]
    wake = asyncio.Event()
    # A followed log ends when its pod goes away (or the server stops).
    with streams.track(wake.set):
        while not streams.closing:
            current = state.store.get_ref("pods", rp.namespace, pod["metadata"]["name"])
            if current is None or current["metadata"]["uid"] != uid:
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.2):
                    await wake.wait()
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


def _ports(query: Query) -> list[int]:
    raw = [p for p in query.get("ports", "").split(",") if p.strip()]
    if not raw:
        raise bad_request("at least 1 port must be specified")
    try:
        ports = [int(p) for p in raw]
    except ValueError:
        raise bad_request(f"invalid port in {query['ports']!r}") from None
    if any(not 0 < p < 65536 for p in ports):
        raise bad_request(f"port out of range in {query['ports']!r}")
    return ports


async def _portforward(
    request: web.Request, state: ClusterState, rp: ResourcePath, query: Query
) -> web.StreamResponse:
    pod = get_object(state, rp)
    ports = _ports(query)
    phase = pod.get("status", {}).get("phase")
    if phase != "Running":
        raise bad_request(f"pod {pod['metadata']['name']} is not running (phase {phase})")
    ws = web.WebSocketResponse(protocols=PORTFORWARD_PROTOCOLS, autoping=True)
    if not ws.can_prepare(request).ok:
        raise bad_request(
            f"port-forward needs a websocket upgrade (subprotocol {PORTFORWARD_PROTOCOLS[0]})"
        )
    await ws.prepare(request)
    listening = agent_port(pod)
    queues: dict[int, asyncio.Queue[bytes | None]] = {}
    sessions: list[asyncio.Task[None]] = []
    send_lock = asyncio.Lock()

    async def send(channel: int, data: bytes) -> None:
        async with send_lock:
            if not ws.closed:
                await ws.send_bytes(bytes([channel]) + data)

    for index, port in enumerate(ports):
        await send(2 * index, port.to_bytes(2, "little"))
        await send(2 * index + 1, port.to_bytes(2, "little"))
    for index, port in enumerate(ports):
        if port != listening:
            await send(
                2 * index + 1,
                (
                    f"error forwarding port {port} to pod {pod['metadata']['uid']}, uid : "
                    f"failed to connect to localhost:{port} inside namespace of pod "
                    f"{pod['metadata']['name']}: connection refused"
                ).encode(),
            )
            continue
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        queues[2 * index] = queue
        sessions.append(asyncio.ensure_future(_agent_session(state, pod, 2 * index, queue, send)))
    # A server shutdown interrupts the read loop; the sessions and the socket are then
    # closed here, as on any other end.
    handler = asyncio.current_task()
    stopping = False
    # The agent closing its end (or exiting) ends the stream, as the kubelet's would.
    agent_closed = False
    leaving = False

    def interrupt() -> None:
        nonlocal stopping
        if not stopping and not agent_closed and not leaving and handler is not None:
            stopping = True
            handler.cancel()

    def session_done(_: object) -> None:
        nonlocal agent_closed
        if leaving or stopping or agent_closed or handler is None:
            return
        if all(task.done() for task in sessions):
            agent_closed = True
            handler.cancel()

    for task in sessions:
        task.add_done_callback(session_done)
    try:
        with request.app[STREAMS_KEY].track(interrupt):
            async for msg in ws:
                if msg.type == WSMsgType.BINARY and msg.data:
                    q = queues.get(msg.data[0])
                    if q is not None and len(msg.data) > 1:
                        q.put_nowait(msg.data[1:])
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                    break
    except asyncio.CancelledError:
        if not (stopping or agent_closed) or handler is None or handler.uncancel() > 0:
            raise
    finally:
        leaving = True
        for q in queues.values():
            q.put_nowait(None)
        for task in sessions:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # A peer that never answers the close frame must not hold the shutdown up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await ws.close(code=WSCloseCode.GOING_AWAY if stopping else WSCloseCode.OK)
    return ws


async def _agent_session(
    state: ClusterState,
    pod: Obj,
    channel: int,
    queue: asyncio.Queue[bytes | None],
    send: Callable[[int, bytes], Awaitable[None]],
) -> None:
    async def incoming() -> AsyncIterator[bytes]:
        while (chunk := await queue.get()) is not None:
            yield chunk

    async def reply(data: bytes) -> None:
        await send(channel, data)

    if state.agents is not None:
        await state.agents.serve(pod, incoming(), reply)
