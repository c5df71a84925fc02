"""The aiohttp application: authentication, authorization, faults, routing, responses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from typing import Any

import orjson
from aiohttp import web

from mirrord_simcluster import api, discovery
from mirrord_simcluster.rbac import User
from mirrord_simcluster.state import ClusterState
from mirrord_simcluster.status import ApiError, forbidden, internal_error, unauthorized
from mirrord_simcluster.streams import STREAMS_KEY, OpenStreams
from mirrord_simcluster.subresources import handle_subresource
from mirrord_simcluster.tables import table, wants_table
from mirrord_simcluster.watch import WatchStream

log = logging.getLogger(__name__)

STATE_KEY: web.AppKey[ClusterState] = web.AppKey("state", ClusterState)
SHUTDOWN_GRACE = 1.0  # seconds requests in flight get to finish when the server stops
_PUBLIC = {"/version", "/healthz", "/livez", "/readyz"}


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return web.Response(body=data, status=status, content_type="application/json", headers=headers)


def error_response(error: ApiError) -> web.Response:
    return json_response(error.status(), error.code)


def _discovery(request: web.Request) -> Any | None:
    path = request.path.rstrip("/") or "/"
    parts = [p for p in path.split("/") if p]
    if path == "/version":
        return discovery.SERVER_VERSION
    if path in ("/healthz", "/livez", "/readyz"):
        return b"ok"
    if path == "/api":
        return discovery.api_versions(f"{request.host}")
    if path == "/apis":
        return discovery.api_group_list()
    if parts[:1] == ["api"] and len(parts) == 2:
        return discovery.resource_list("", parts[1])
    if parts[:1] == ["apis"] and len(parts) == 2:
        return discovery.api_group(parts[1])
    if parts[:1] == ["apis"] and len(parts) == 3:
        return discovery.resource_list(parts[1], parts[2])
    if path == "/openapi/v3":
        return discovery.openapi_v3_root()
    if parts[:2] == ["openapi", "v3"]:
        return discovery.openapi_v3_group("/".join(parts[2:]))
    return None


def _authorize(user: User, verb: str, rp: api.ResourcePath) -> None:
    resource = f"{rp.res.plural}/{rp.sub}" if rp.sub else rp.res.plural
    namespace = rp.namespace if rp.res.namespaced else None
    if rp.res.plural == "namespaces" and rp.name:
        namespace = rp.name  # a namespace's own object counts as inside it
        if user.can(verb, resource, namespace) or user.can(verb, resource, None):
            return
        raise forbidden(rp.res, user.name, verb, None, rp.name, rp.sub)
    if not user.can(verb, resource, namespace):
        raise forbidden(rp.res, user.name, verb, namespace, rp.name, rp.sub)


async def _apply_faults(
    state: ClusterState, request: web.Request, resource: str | None, verb: str
) -> Any:
    decision = state.faults.decide(resource, verb)
    if decision.latency:
        await asyncio.sleep(decision.latency)
    if decision.reset:
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("injected connection reset")
    if decision.error:
        raise internal_error("Internal error occurred: injected fault")
    return decision


async def handle(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    who: list[User] = []
    status = 500
    try:
        response = await _handle(request, state, who)
        status = response.status
        return response
    except ApiError as error:
        status = error.code
        return error_response(error)
    except ConnectionResetError:
        status = 0
        raise
    finally:
        state.requests.add(
            request.method, request.path, request.query_string, who[0].name if who else None, status
        )


async def _handle(request: web.Request, state: ClusterState, who: list[User]) -> web.StreamResponse:
    if request.path in _PUBLIC:
        body = _discovery(request)
        return web.Response(body=body) if isinstance(body, bytes) else json_response(body)
    user = state.authorizer.authenticate(request.headers.get("Authorization"))
    if user is None:
        raise unauthorized()
    who.append(user)
    if request.path.startswith("/sim/"):
        from mirrord_simcluster.agent import handle_sim_request

        response: web.StreamResponse = await handle_sim_request(request, state, user)
        return response
    rp = api.parse_resource_path(request.path)
    if rp is None:
        decision_body = _discovery(request)
        if decision_body is None or request.method != "GET":
            raise ApiError(404, "the server could not find the requested resource", "NotFound", {})
        await _apply_faults(state, request, None, "get")
        return json_response(decision_body)
    query = dict(request.query)
    verb = api.verb_for(request.method, rp, query)
    _authorize(user, verb, rp)
    decision = await _apply_faults(state, request, rp.res.plural, verb)
    if rp.sub is not None and rp.sub != "status":
        return await handle_subresource(request, state, rp, query)
    if verb == "watch":
        stream = WatchStream(
            state, rp, query, request.headers.get("Accept", ""), decision, request.app[STREAMS_KEY]
        )
        return await stream.serve(request)
    accept = request.headers.get("Accept", "")
    if verb == "list":
        meta, items = api.list_objects(state, rp, query)
        if wants_table(accept):
            return json_response(
                table(
                    rp.res.plural, items, meta, query.get("includeObject", "PartialObjectMetadata")
                )
            )
        return json_response(api.list_body(rp, meta, items, state.encoded))
    if verb == "get":
        obj = api.get_object(state, rp)
        if wants_table(accept):
            return json_response(
                table(
                    rp.res.plural,
                    [obj],
                    {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                    query.get("includeObject", "PartialObjectMetadata"),
                )
            )
        return json_response(obj)
    content_type = request.headers.get("Content-Type", "application/json")
    body = api.parse_body(await request.read(), content_type)
    if verb == "create":
        return json_response(api.create_object(state, rp, body, query), 201)
    if verb == "update":
        return json_response(api.replace_object(state, rp, body))
    if verb == "patch":
        return json_response(api.patch_object(state, rp, body, content_type))
    if verb == "delete":
        deleted, warnings = api.delete_object(state, rp, body, query)
        headers = {"Warning": "; ".join(f'299 - "{w}"' for w in warnings)} if warnings else None
        return json_response(deleted, 200, headers)
    if verb == "deletecollection":
        items = api.delete_collection(state, rp, query)
        return json_response(
            api.list_body(rp, {"resourceVersion": str(state.store.resource_version)}, items)
        )
    raise ApiError(
        405, "the server does not allow this method on the requested resource", "MethodNotAllowed"
    )


def build_app(state: ClusterState) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = state
    app[STREAMS_KEY] = OpenStreams()
    app.router.add_route("*", "/{tail:.*}", handle)

    async def on_shutdown(app: web.Application) -> None:
        app[STREAMS_KEY].close()

    app.on_shutdown.append(on_shutdown)
    from mirrord_simcluster.controllers import Controllers

    async def controllers_ctx(app: web.Application) -> Any:
        controllers = Controllers(state)
        controllers.start()
        yield
        await controllers.stop()

    app.cleanup_ctx.append(controllers_ctx)
    from mirrord_simcluster.agent import AgentSupervisor

    async def agents_ctx(app: web.Application) -> Any:
        agents = AgentSupervisor(state)
        agents.start()
        state.agents = agents
        yield
        state.agents = None
        await agents.stop()

    app.cleanup_ctx.append(agents_ctx)
    return app


@contextlib.asynccontextmanager
async def serve(
    state: ClusterState,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_context: ssl.SSLContext | None = None,
) -> Any:
    """Run the app on host:port; yields the bound (host, port)."""
    app = build_app(state)
    runner = web.AppRunner(
        app, handler_cancellation=True, shutdown_timeout=SHUTDOWN_GRACE, access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    server = site._server  # bound sockets: the only way to learn an ephemeral port
    assert server is not None and server.sockets  # type: ignore[attr-defined]
    bound = server.sockets[0].getsockname()  # type: ignore[attr-defined]
    try:
        yield bound[0], bound[1]
    finally:
        await _shut_down(runner, app)


async def _shut_down(runner: web.AppRunner, app: web.Application) -> None:
    """Stop accepting, end open streams, let requests in flight finish (briefly), then
    drop whatever connection is still open: a client that stopped reading, or a TLS peer
    that never answers the close, must not keep sockets alive past the server."""
    for site in list(runner.sites):
        await site.stop()
    app[STREAMS_KEY].close()
    web_server = runner.server
    handlers = list(web_server.connections) if web_server is not None else []
    sockets = [h.transport.get_extra_info("socket") for h in handlers if h.transport is not None]
    await runner.cleanup()
    # Shutting the sockets down makes the event loop see the end of every connection left
    # and close its transport (a TLS close would otherwise wait for the peer's answer).
    open_sockets = [s for s in sockets if s is not None and s.fileno() != -1]
    for sock in open_sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    deadline = asyncio.get_running_loop().time() + SHUTDOWN_GRACE
    while any(s.fileno() != -1 for s in open_sockets):
        if asyncio.get_running_loop().time() > deadline:
            log.warning("simulated cluster: connections still open at shutdown")
            break
        await asyncio.sleep(0.01)
