"""`mirrord/listNamespaces`, `mirrord/listTargets`, `mirrord/targetPickerItems`,
and the live cluster values the document features use.

Thin adapters: read params and the config, ask the cluster service, shape the
answer. Every request is bounded by a deadline; the picker turns cluster
errors into message items so it always offers the targetless choice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from mirrord_ide.errors import InvalidConfig, MirrordError, NotFound, Timeout
from mirrord_ide.lsp.edge import custom_request
from mirrord_ide.lsp.lifecycle import DROP_CLUSTER
from mirrord_ide.lsp.raw_results import PreEncoded, install
from mirrord_ide.lsp.request_types import (
    ListNamespacesParams,
    ListTargetsParams,
    TargetPickerItemsParams,
)
from mirrord_ide.names import check_chosen_namespace, check_namespace

if TYPE_CHECKING:
    from mirrord_ide.cluster.config_input import DiscoveryConfig
    from mirrord_ide.cluster.service import ClusterService
    from mirrord_ide.cluster.snapshot import Stored
    from mirrord_ide.cluster.targets import TargetRules
    from mirrord_ide.lsp.server import MirrordLanguageServer

log = logging.getLogger(__name__)

# The kubernetes client takes a noticeable time to import; load it shortly after
# start-up (not during `initialize`) so the first picker open does not pay for it.
PREWARM_DELAY = 1.0


# -- shared state ----------------------------------------------------------------------


def cluster_service(ls: MirrordLanguageServer) -> ClusterService:
    """The server's cluster service, created on first use from its settings."""
    from mirrord_ide.cluster.kubeconfig import cluster_settings
    from mirrord_ide.cluster.service import ClusterService

    found = ls.state.cluster
    if found is not None:
        return found
    # The same choice as `ls` and `verify-config`: settings, then MIRRORD_KUBECONFIG/_CONTEXT.
    settings = cluster_settings(kubeconfig=ls.settings.kubeconfig, context=ls.settings.context)
    from mirrord_ide.cluster.snapshot import SnapshotStore

    created = ClusterService(settings, snapshots=SnapshotStore())
    ls.state.cluster = created
    return created


def drop_cluster_service(ls: MirrordLanguageServer) -> None:
    found, ls.state.cluster = ls.state.cluster, None
    if found is not None:
        found.close()


def read_config(ls: MirrordLanguageServer, uri: str | None) -> DiscoveryConfig:
    """The config at `uri`: the open document's text if the server has it, else the file."""
    from mirrord_ide.cluster.config_input import DiscoveryConfig, load_config_file

    if not uri:
        return DiscoveryConfig()
    if not isinstance(uri, str):
        raise InvalidConfig("configUri must be a string")
    return load_config_file(uri, ls=ls)


def _env(params: ListTargetsParams) -> dict[str, str]:
    """The server's environment overlaid with the debuggee's (`env` param)."""
    return {**os.environ, **params.env}


def _namespace_param(params: ListTargetsParams) -> str | None:
    """The request's `namespace`, rejected (quoting it) unless Kubernetes would accept it."""
    value = params.namespace
    return None if value is None else check_namespace(value, "the `namespace` parameter")


def _rules(cfg: Any, env: dict[str, str]) -> TargetRules:
    """The config's rules, with the operator as the environment may set it."""
    from mirrord_ide.cluster.targets import TargetRules

    return TargetRules.from_config(cfg.value, env)


def _check_namespace_inputs(request: str | None, env: dict[str, str], cfg: Any) -> None:
    """Check the namespace that will be used, naming where it came from."""
    from mirrord_ide.picker import ENV_NAMESPACE

    check_chosen_namespace(
        (request, "the `namespace` parameter"),
        (env.get(ENV_NAMESPACE), ENV_NAMESPACE),
        (cfg.namespace, "`target.namespace` in the config"),
    )


def _timed_out(what: str, timeout: float) -> Timeout:
    return Timeout(
        f"{what}: the cluster did not answer within {timeout:g}s",
        hint="check that the cluster is up and KUBECONFIG/context point at it",
    )


async def _bounded(coro: Awaitable[Any], timeout: float, what: str) -> Any:
    try:
        return await asyncio.wait_for(coro, timeout)
    except TimeoutError:
        raise _timed_out(what, timeout) from None


def _outcome(task: asyncio.Future[Any]) -> Any:
    """A finished task's result or exception; None when it did not finish in time."""
    if not task.done() or task.cancelled():
        return None
    return task.exception() or task.result()


def _discard_outcome(task: asyncio.Future[Any]) -> None:
    """For a task abandoned at the deadline: whatever it ends with is not wanted."""
    if not task.cancelled():
        task.exception()


# -- listings kept on disk ----------------------------------------------------------------


def _stored(
    service: ClusterService,
    params: ListTargetsParams,
    request_namespace: str | None,
    env: dict[str, str],
    cfg: Any,
    rules: TargetRules,
) -> tuple[str, Stored] | None:
    """The view's listing kept on disk, when this server has not listed it live yet
    and the client accepts a stale answer (`allowStale: true`; clients that do not
    know `stale` never get one): (namespace, listing). Costs no connection."""
    from mirrord_ide.picker import choose_namespace

    if not params.allow_stale:
        return None
    current = service.quick_namespace()
    if current is None:
        return None
    ns = choose_namespace(request_namespace, env, cfg.namespace, current)
    stored = service.stored_listing(ns, all_namespaces=params.all_namespaces, rules=rules)
    return None if stored is None else (ns, stored)


def _refresh(
    service: ClusterService,
    namespace: str,
    all_namespaces: bool,
    rules: TargetRules,
    timeout: float,
) -> None:
    """List the view live in the background after a stale answer, so that the
    client's next request (without `allowStale`) finds it under way or done."""

    async def refresh() -> None:
        try:
            listing = await _bounded(
                service.list_targets(
                    namespace, all_namespaces=all_namespaces, rules=rules, timeout=timeout
                ),
                timeout,
                "listing targets",
            )
            service.keep(listing, rules)
            await _bounded(service.list_namespaces(timeout), timeout, "listing namespaces")
        except MirrordError as error:
            log.debug("refreshing a stored listing failed: %s", error.message)

    service.run_in_background(refresh())


# -- handlers ---------------------------------------------------------------------------


async def list_namespaces(
    ls: MirrordLanguageServer, params: ListNamespacesParams
) -> dict[str, Any]:
    timeout = params.deadline
    service = cluster_service(ls)
    listing = await _bounded(service.list_namespaces(timeout), timeout, "listing namespaces")
    result: dict[str, Any] = listing.to_json()
    return result


async def list_targets(ls: MirrordLanguageServer, params: ListTargetsParams) -> PreEncoded:
    from mirrord_ide.picker import choose_namespace

    timeout = params.deadline
    request_namespace = _namespace_param(params)
    cfg = read_config(ls, params.config_uri)
    env = _env(params)
    _check_namespace_inputs(request_namespace, env, cfg)
    service = cluster_service(ls)
    rules = _rules(cfg, env)
    all_namespaces = params.all_namespaces
    stored = _stored(service, params, request_namespace, env, cfg, rules)
    if stored is not None:
        from mirrord_ide.cluster.snapshot import mark_stale

        _refresh(service, stored[0], all_namespaces, rules, timeout)
        return PreEncoded(mark_stale(stored[1].body))

    async def run() -> bytes:
        current = await service.current_namespace(timeout)
        ns = choose_namespace(request_namespace, env, cfg.namespace, current)
        listing = await service.list_targets(
            ns, all_namespaces=all_namespaces, rules=rules, timeout=timeout
        )
        service.keep(listing, rules)
        return listing.encoded()

    # Encoded once per cache state: big lists are sent without re-serializing them.
    raw: bytes = await _bounded(run(), timeout, "listing targets")
    return PreEncoded(raw)


async def target_picker_items(
    ls: MirrordLanguageServer, params: TargetPickerItemsParams
) -> PreEncoded:
    from mirrord_ide.picker import (
        PickerInput,
        choose_namespace,
        choose_preselection,
        picker_items_json,
    )

    timeout = params.deadline
    env = _env(params)
    request_namespace = _namespace_param(params)
    messages: list[str] = []
    try:
        cfg = read_config(ls, params.config_uri)
    except InvalidConfig as error:
        from mirrord_ide.cluster.config_input import DiscoveryConfig

        cfg = DiscoveryConfig()
        messages.append(error.message)
    if cfg.problem:
        messages.append(cfg.problem)
    # A bad namespace from the environment or the config lists no targets, but the
    # picker still offers targetless and the namespaces to switch to.
    list_targets = True
    try:
        _check_namespace_inputs(request_namespace, env, cfg)
    except InvalidConfig as error:
        messages.append(error.message + (f" — {error.hint}" if error.hint else ""))
        list_targets = False
    preselection = choose_preselection(params.target, env, cfg.target)
    all_namespaces = params.all_namespaces
    service = cluster_service(ls)
    data = PickerInput(
        namespace=request_namespace or env.get("MIRRORD_TARGET_NAMESPACE") or cfg.namespace or "",
        targets=None,
        all_namespaces=all_namespaces,
        messages=messages,
        preselection=preselection,
        targetless_reason=cfg.rules.targetless_reason,
        filter=params.filter,
    )

    rules = _rules(cfg, env)
    stored = _stored(service, params, request_namespace, env, cfg, rules) if list_targets else None
    if stored is not None:
        from mirrord_ide.cluster.snapshot import decode_listing

        kept = decode_listing(stored[1].body)
        if kept is not None:
            # The last listing, shown at once while the live one is made.
            data.namespace = stored[0]
            data.targets = kept.targets
            messages.extend(kept.warnings)
            _refresh(service, stored[0], all_namespaces, rules, timeout)
            return PreEncoded(picker_items_json(data, {"stale": True}))

    async def targets() -> Any:
        current = await service.current_namespace(timeout)
        data.namespace = choose_namespace(request_namespace, env, cfg.namespace, current)
        if not list_targets:
            return None
        listing = await service.list_targets(
            data.namespace, all_namespaces=all_namespaces, rules=rules, timeout=timeout
        )
        service.keep(listing, rules)
        return listing

    # One deadline for the whole answer, and what arrived by then is kept: targets
    # that are slow to list must not cost the namespaces to switch to, nor the
    # other way round.
    namespaces_task = asyncio.ensure_future(service.list_namespaces(timeout))
    targets_task = asyncio.ensure_future(targets())
    try:
        await asyncio.wait((namespaces_task, targets_task), timeout=timeout)
    finally:
        for task in (namespaces_task, targets_task):
            if not task.done():
                task.cancel()
                task.add_done_callback(_discard_outcome)
    namespaces = _outcome(namespaces_task)
    listing = _outcome(targets_task)
    try:
        if namespaces is None:
            messages.append(_explain(_timed_out("listing namespaces", timeout)))
        elif isinstance(namespaces, BaseException):
            if not isinstance(namespaces, MirrordError):
                raise namespaces
        else:
            data.namespaces = namespaces.namespaces
            if namespaces.warning:
                messages.append(namespaces.warning)
        if targets_task.cancelled() or not targets_task.done():
            raise _timed_out("listing targets", timeout)
        if isinstance(listing, BaseException):
            raise listing
        if listing is not None:
            data.targets = listing.targets
            data.hidden = listing.hidden
            messages.extend(listing.warnings)
    except NotFound as error:
        messages.append(error.message + (f" ({error.hint})" if error.hint else ""))
    except MirrordError as error:
        messages.append(_explain(error))
    return PreEncoded(picker_items_json(data))


def _explain(error: MirrordError) -> str:
    lead = {
        "unreachable": "cannot reach the cluster",
        "unauthorized": "the cluster rejected the credentials",
        "forbidden": "not allowed to list targets",
        "timeout": "the cluster did not answer in time",
        "invalid-config": "cannot use the kubeconfig",
    }.get(error.kind, "cannot list targets")
    text = f"{lead}: {error.message}" if lead not in error.message else error.message
    return text + (f" — {error.hint}" if error.hint else "")


# -- live values for diagnostics and completion -------------------------------------------


async def live_values(ls: MirrordLanguageServer, uri: str) -> tuple[list[str], list[str]]:
    """Target paths (of the config's namespace) and namespaces, for completion."""
    from mirrord_ide.picker import choose_namespace

    service = cluster_service(ls)
    try:
        cfg = read_config(ls, uri)
    except MirrordError:
        from mirrord_ide.cluster.config_input import DiscoveryConfig

        cfg = DiscoveryConfig()
    current = await service.current_namespace()
    ns = choose_namespace(None, {}, cfg.namespace, current)
    listing, namespaces = await asyncio.gather(
        service.list_targets(ns, rules=cfg.rules), service.list_namespaces(), return_exceptions=True
    )
    paths: list[str] = []
    if not isinstance(listing, BaseException):
        seen: set[str] = set()
        for target in listing.targets:
            if target.path not in seen:
                seen.add(target.path)
                paths.append(target.path)
    names = [] if isinstance(namespaces, BaseException) else list(namespaces.namespaces)
    if isinstance(listing, BaseException) and isinstance(namespaces, BaseException):
        raise listing
    return paths, names


async def live_checks(ls: MirrordLanguageServer, analysis: Any, uri: str) -> list[Any]:
    """Findings for a namespace/target/container the cluster does not have."""
    from mirrord_ide.cluster.config_checks import live_problems

    value = _analysis_value(analysis)
    if not isinstance(value, dict) or "target" not in value:
        return []
    from mirrord_ide.config.precedence import resolve_selection

    # The namespace a launch would use: MIRRORD_TARGET_NAMESPACE beats the file's.
    selection = resolve_selection(config=value, lenient=True)
    override = selection.namespace if selection.namespace_source == "env" else None
    problems = await live_problems(value, cluster_service(ls), namespace_override=override)
    to_finding = _finding_factory(analysis)
    return [to_finding(p) for p in problems]


def _analysis_value(analysis: Any) -> Any:
    """The config as plain data, as parsed (never the validated model: a config
    with unrelated errors still names its target)."""
    parsed = getattr(analysis, "parsed", None)
    value = getattr(parsed, "value", None)
    return value if isinstance(value, dict) else None


def _finding_factory(analysis: Any) -> Callable[[Any], Any]:
    """Locate a `Problem` in the analysed document the way the document layer does."""
    from mirrord_ide.document.analysis import finding_for

    parsed = analysis.parsed
    return lambda problem: finding_for(parsed, problem)


# -- registration -----------------------------------------------------------------------


# What the first picker open needs, the light modules first: an answer from a
# stored listing needs no kubernetes client.
PREWARM_MODULES = (
    "mirrord_ide.cluster.config_input",
    "mirrord_ide.cluster.snapshot",
    "mirrord_ide.cluster.service",
    "mirrord_ide.picker",
    "kubernetes.client",
    "kubernetes.config",
)


def _prewarm_client() -> None:
    import importlib

    try:
        for name in PREWARM_MODULES:
            importlib.import_module(name)
    except Exception:  # noqa: BLE001 - the first request will report any real problem
        log.debug("could not preload the kubernetes client", exc_info=True)


def register(server: MirrordLanguageServer) -> None:
    install(server.protocol)
    prewarm = threading.Timer(PREWARM_DELAY, _prewarm_client)
    prewarm.daemon = True
    prewarm.start()
    server.feature("mirrord/listNamespaces")(custom_request(ListNamespacesParams, list_namespaces))
    server.feature("mirrord/listTargets")(custom_request(ListTargetsParams, list_targets))
    server.feature("mirrord/targetPickerItems")(
        custom_request(TargetPickerItemsParams, target_picker_items)
    )

    async def checks(analysis: Any, uri: str) -> list[Any]:
        return await live_checks(server, analysis, uri)

    async def values(uri: str) -> tuple[list[str], list[str]]:
        return await live_values(server, uri)

    server.state.live_checks = checks
    server.state.live_values = values
    # A new kubeconfig or context means a new connection: drop the old one and its
    # watches. Other settings (the session engine, the CLI path) leave them alone.
    server.lifecycle.on_settings(
        ("kubeconfig", "context"), lambda settings: drop_cluster_service(server)
    )
    # After the sessions, which still use the connection to remove their agents.
    server.lifecycle.on_shutdown(lambda: drop_cluster_service(server), DROP_CLUSTER)
