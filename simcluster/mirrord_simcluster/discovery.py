"""Discovery documents: `/version`, `/api`, `/apis`, group versions, and a minimal OpenAPI.

The legacy (non-aggregated) discovery format is served; kubectl falls back to it when the
response is plain `application/json`.
"""

from __future__ import annotations

from typing import Any

from mirrord_simcluster.resources import CATALOG, ResourceType, groups

SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.2",
    "gitCommit": "67a30c0adcf52bd3f56ff0893ce19966be12991f",
    "gitTreeState": "clean",
    "buildDate": "2025-02-12T21:19:47Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_SUBRESOURCES = {
    "pods": (
        ("log", "Pod", ("get",)),
        ("portforward", "PodPortForwardOptions", ("create", "get")),
        ("status", "Pod", ("get", "patch", "update")),
    ),
    "deployments": (("status", "Deployment", ("get", "patch", "update")),),
    "jobs": (("status", "Job", ("get", "patch", "update")),),
}


def _api_resource(res: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": res.plural,
        "singularName": res.singular,
        "namespaced": res.namespaced,
        "kind": res.kind,
        "verbs": [
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ],
    }
    if res.short_names:
        entry["shortNames"] = list(res.short_names)
    if res.categories:
        entry["categories"] = list(res.categories)
    return entry


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    members = [r for r in CATALOG if r.group == group and r.version == version]
    if not members:
        return None
    resources: list[dict[str, Any]] = []
    for res in members:
        resources.append(_api_resource(res))
        for sub, kind, verbs in _SUBRESOURCES.get(res.plural, ()):
            resources.append(
                {
                    "name": f"{res.plural}/{sub}",
                    "singularName": "",
                    "namespaced": res.namespaced,
                    "kind": kind,
                    "verbs": list(verbs),
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group(name: str, version: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(name, members[0].version) for name, members in groups().items()],
    }


def api_group(name: str) -> dict[str, Any] | None:
    members = groups().get(name)
    if not members:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1"} | _group(name, members[0].version)


def openapi_v3_root() -> dict[str, Any]:
    paths = {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=sim1"}}
    for name, members in groups().items():
        key = f"apis/{name}/{members[0].version}"
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash=sim1"}
    return {"paths": paths}


def openapi_v3_group(path: str) -> dict[str, Any]:
    """A minimal OpenAPI v3 document: the create operations declare `fieldValidation`,
    which is what kubectl checks before sending server-side validation."""
    doc_paths: dict[str, Any] = {}
    prefix = "/" + path.strip("/")
    for res in CATALOG:
        base = "/api/v1" if not res.group else f"/apis/{res.group}/{res.version}"
        if base != prefix:
            continue
        collection = (
            f"{base}/namespaces/{{namespace}}/{res.plural}"
            if res.namespaced
            else f"{base}/{res.plural}"
        )
        field_validation = {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}
        gvk = {"group": res.group, "version": res.version, "kind": res.kind}
        doc_paths[collection] = {
            "post": {
                "parameters": [field_validation],
                "x-kubernetes-group-version-kind": gvk,
                "responses": {},
            },
        }
        doc_paths[collection + "/{name}"] = {
            "patch": {
                "parameters": [field_validation],
                "x-kubernetes-group-version-kind": gvk,
                "responses": {},
            },
            "put": {
                "parameters": [field_validation],
                "x-kubernetes-group-version-kind": gvk,
                "responses": {},
            },
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
        "paths": doc_paths,
        "components": {"schemas": {}},
    }
