"""`Status` bodies and the API error that carries one, as the real apiserver words them."""

from __future__ import annotations

from typing import Any

from mirrord_simcluster.resources import ResourceType

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "AlreadyExists",
    410: "Expired",
    422: "Invalid",
    500: "InternalError",
}


class ApiError(Exception):
    """An error answered with a `Status` body and its HTTP code."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASONS.get(code, "Unknown")
        self.details = details

    def status(self) -> dict[str, Any]:
        return status_body(self.code, self.message, self.reason, self.details)


def status_body(
    code: int, message: str, reason: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def success_status(res: ResourceType, name: str, uid: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": _details(res, name) | {"uid": uid},
    }


def _details(res: ResourceType, name: str | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name is not None:
        details["name"] = name
    if res.group:
        details["group"] = res.group
    details["kind"] = res.plural
    return details


def not_found(res: ResourceType, name: str) -> ApiError:
    return ApiError(404, f'{res.qualified} "{name}" not found', "NotFound", _details(res, name))


def already_exists(res: ResourceType, name: str) -> ApiError:
    return ApiError(
        409, f'{res.qualified} "{name}" already exists', "AlreadyExists", _details(res, name)
    )


def conflict(res: ResourceType, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {res.qualified} "{name}": {why}',
        "Conflict",
        _details(res, name),
    )


def forbidden(
    res: ResourceType | None,
    user: str,
    verb: str,
    namespace: str | None,
    name: str | None = None,
    subresource: str | None = None,
    resource_name: str | None = None,
) -> ApiError:
    plural = res.plural if res else (resource_name or "")
    group = res.group if res else ""
    qualified = res.qualified if res else plural
    target = f'{qualified} "{name}"' if name else qualified
    resource = f"{plural}/{subresource}" if subresource else plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{target} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
        f'in API group "{group}" {scope}'
    )
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = plural
    return ApiError(403, message, "Forbidden", details)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def gone(message: str = "too old resource version") -> ApiError:
    return ApiError(410, message, "Expired")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")


def internal_error(message: str) -> ApiError:
    return ApiError(500, message, "InternalError")
