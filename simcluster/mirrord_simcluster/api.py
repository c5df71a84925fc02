"""Resource requests: parse the URL, then list/get/create/replace/patch/delete."""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass
from typing import Any

import orjson

from mirrord_simcluster import gc
from mirrord_simcluster.admission import prepare_create
from mirrord_simcluster.encoding import EncodedCache, list_bytes
from mirrord_simcluster.resources import ResourceType, lookup
from mirrord_simcluster.selectors import (
    SelectorError,
    match_fields,
    parse_field_selector,
    parse_label_selector,
)
from mirrord_simcluster.state import ClusterState
from mirrord_simcluster.status import ApiError, bad_request, not_found
from mirrord_simcluster.store import Obj

Query = dict[str, str]


@dataclass(frozen=True)
class ResourcePath:
    res: ResourceType
    namespace: str | None
    name: str | None
    sub: str | None


def parse_resource_path(path: str) -> ResourcePath | None:
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    res = lookup(group, version, rest[0])
    if res is None:
        return None
    if namespace is not None and not res.namespaced:
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return ResourcePath(res, namespace, name, sub)


def verb_for(method: str, rp: ResourcePath, query: Query) -> str:
    watching = query.get("watch", "").lower() in ("1", "true")
    if method == "GET":
        if rp.name is None:
            return "watch" if watching else "list"
        return "get"
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if rp.name is not None else "deletecollection",
    }.get(method, method.lower())


# ---- list -------------------------------------------------------------------------------


def _encode_continue(rv: int, key: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"rv": rv, "start": list(key)})).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError, orjson.JSONDecodeError):
        raise bad_request("continue key is not valid: illegal base64 data") from None


def _int_param(query: Query, name: str) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return 0
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"invalid {name} {raw!r}: not an integer") from None


def selectors(res: ResourceType, query: Query) -> tuple[Any, list[tuple[str, bool, str]]]:
    try:
        return (
            parse_label_selector(query.get("labelSelector")),
            parse_field_selector(query.get("fieldSelector"), res.field_selectors),
        )
    except SelectorError as exc:
        raise bad_request(str(exc)) from None


def list_objects(state: ClusterState, rp: ResourcePath, query: Query) -> tuple[Obj, list[Obj]]:
    """(list metadata, matching stored objects) for one page."""
    labels, fields = selectors(rp.res, query)
    limit = _int_param(query, "limit")
    start_after = None
    list_rv: int | None = None
    if query.get("continue"):
        list_rv, start_after = _decode_continue(query["continue"])
    rv, total, objs = state.store.page(rp.res.plural, rp.namespace, start_after)
    items: list[Obj] = []
    more_at: int | None = None
    for index, obj in enumerate(objs):
        meta = obj["metadata"]
        if labels is not None and not labels(meta.get("labels") or {}):
            continue
        if fields and not match_fields(obj, fields):
            continue
        if limit and len(items) == limit:
            more_at = index
            break
        items.append(obj)
    meta_out: Obj = {"resourceVersion": str(list_rv or rv)}
    if more_at is not None:
        last = items[-1]["metadata"]
        meta_out["continue"] = _encode_continue(
            list_rv or rv, (last.get("namespace", ""), last["name"])
        )
        if labels is None and not fields:
            meta_out["remainingItemCount"] = total - more_at
    return meta_out, items


def list_body(
    rp: ResourcePath, meta: Obj, items: list[Obj], cache: EncodedCache | None = None
) -> bytes:
    # Items are immutable stored objects: serialize directly (or reuse their bytes).
    if cache is not None:
        return list_bytes(rp.res.list_kind, rp.res.api_version, meta, items, cache)
    return orjson.dumps(
        {
            "kind": rp.res.list_kind,
            "apiVersion": rp.res.api_version,
            "metadata": meta,
            "items": items,
        }
    )


# ---- single objects ---------------------------------------------------------------------


def get_object(state: ClusterState, rp: ResourcePath) -> Obj:
    assert rp.name is not None
    obj = state.store.get_ref(rp.res.plural, rp.namespace, rp.name)
    if obj is None:
        raise not_found(rp.res, rp.name)
    return obj


def parse_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return {}
    try:
        if "yaml" in content_type:
            import yaml

            return yaml.safe_load(raw)
        return orjson.loads(raw)
    except Exception as exc:  # any decoder error is the client's fault
        raise bad_request(f"the body of the request was in an unknown format: {exc}") from None


def _check_namespace(state: ClusterState, rp: ResourcePath) -> None:
    if rp.res.namespaced and rp.namespace and not state.store.namespace_exists(rp.namespace):
        from mirrord_simcluster.resources import BY_PLURAL

        raise not_found(BY_PLURAL["namespaces"], rp.namespace)


def create_object(state: ClusterState, rp: ResourcePath, body: Any, query: Query) -> Obj:
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if kind and (kind != rp.res.kind or api_version != rp.res.api_version):
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({rp.res.api_version})"
            if api_version != rp.res.api_version
            else f'{kind} in version "{rp.res.version}" cannot be handled as a {rp.res.kind}'
        )
    meta = body.get("metadata") or {}
    if rp.res.namespaced:
        body_ns = meta.get("namespace")
        if body_ns and rp.namespace and body_ns != rp.namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        if not rp.namespace:
            raise ApiError(
                405,
                "the server does not allow this method on the requested resource",
                "MethodNotAllowed",
            )
    _check_namespace(state, rp)
    obj = prepare_create(rp.res, copy.deepcopy(body))
    if query.get("dryRun") == "All":
        return obj
    return state.store.create(rp.res.plural, rp.namespace, obj)


def replace_object(state: ClusterState, rp: ResourcePath, body: Any) -> Obj:
    assert rp.name is not None
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    meta = body.get("metadata") or {}
    if meta.get("name") and meta["name"] != rp.name:
        raise bad_request("the name of the object does not match the name on the URL")
    old = get_object(state, rp)
    if rp.sub == "status":
        new = copy.deepcopy(old)
        new["status"] = body.get("status", {})
        body = new
    return state.store.replace(
        rp.res.plural, rp.namespace, rp.name, body, meta.get("resourceVersion")
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (strategic merge patches are applied the same way)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def patch_object(state: ClusterState, rp: ResourcePath, body: Any, content_type: str) -> Obj:
    assert rp.name is not None
    if "json-patch" in content_type:
        raise ApiError(
            415,
            "json-patch is not supported by the simulated cluster; use a merge patch",
            "UnsupportedMediaType",
        )
    get_object(state, rp)

    def apply(obj: Obj) -> None:
        patched = merge_patch(obj, body)
        obj.clear()
        obj.update(patched)

    return state.store.update(rp.res.plural, rp.namespace, rp.name, apply)


def delete_object(
    state: ClusterState, rp: ResourcePath, body: Any, query: Query
) -> tuple[Obj, list[str]]:
    """(the deleted object, warnings)."""
    assert rp.name is not None
    options = body if isinstance(body, dict) else {}
    policy = query.get("propagationPolicy") or options.get("propagationPolicy")
    warnings: list[str] = []
    if options.get("orphanDependents") is True:
        policy = "Orphan"
    if policy is None:
        policy = gc.default_policy(rp.res.plural)
        if rp.res.plural == "jobs":
            warnings.append(
                "child pods are preserved by default when jobs are deleted; set "
                "propagationPolicy=Background to remove them or set propagationPolicy=Orphan "
                "to suppress this warning"
            )
    if policy not in gc.POLICIES:
        raise bad_request(f"unsupported propagation policy {policy!r}")
    get_object(state, rp)
    if query.get("dryRun") == "All":
        return copy.deepcopy(get_object(state, rp)), warnings
    deleted = gc.delete_with_dependents(state.store, rp.res.plural, rp.namespace, rp.name, policy)
    if deleted is None:
        raise not_found(rp.res, rp.name)
    return deleted, warnings


def delete_collection(state: ClusterState, rp: ResourcePath, query: Query) -> list[Obj]:
    _, items = list_objects(state, rp, {k: v for k, v in query.items() if k != "limit"})
    deleted = []
    for obj in items:
        meta = obj["metadata"]
        gone = gc.delete_with_dependents(
            state.store,
            rp.res.plural,
            meta.get("namespace"),
            meta["name"],
            query.get("propagationPolicy") or gc.default_policy(rp.res.plural),
        )
        if gone is not None:
            deleted.append(gone)
    return deleted
