"""The protocol edge for custom `mirrord/*` requests.

pygls hands custom-request params over as namedtuples (or attrs objects) and
turns any uncaught exception into an internal error with a traceback in
`data`. `custom_request` converts params to plain dicts once, maps every
`MirrordError` to a `ResponseError` with the contract's `data`
(`{"kind", "message", "hint"?}`), and never lets a traceback reach a client.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from mirrord_ide.errors import Cancelled, MirrordError

log = logging.getLogger(__name__)

# Application error codes, outside JSON-RPC's reserved ranges.
ERROR_CODES: dict[str, int] = {
    "unreachable": -33001,
    "unauthorized": -33002,
    "forbidden": -33003,
    "not-found": -33004,
    "invalid-config": -33005,
    "timeout": -33006,
    "conflict": -33007,
}


def params_to_dict(params: Any) -> dict[str, Any]:
    """Turn whatever pygls passed (namedtuple, attrs object, dict, None) into a dict."""
    # Lua clients (Neovim) encode an empty table `{}` as the JSON array `[]`.
    if params is None or (isinstance(params, list | tuple) and not params):
        return {}
    if isinstance(params, Mapping):
        return {k: _plain(v) for k, v in params.items()}
    if hasattr(params, "_asdict"):
        return {k: _plain(v) for k, v in params._asdict().items()}
    if hasattr(params, "__attrs_attrs__"):
        import attrs

        return {k: _plain(v) for k, v in attrs.asdict(params, recurse=False).items()}
    if hasattr(params, "__dict__"):
        return {k: _plain(v) for k, v in vars(params).items() if not k.startswith("_")}
    raise TypeError(f"unsupported params type {type(params).__name__}")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping) or hasattr(value, "_asdict"):
        return params_to_dict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_response_error(error: MirrordError) -> JsonRpcException:
    if isinstance(error, Cancelled):
        return JsonRpcRequestCancelled(error.message)
    code = ERROR_CODES.get(error.kind, -33000)
    return JsonRpcException(message=error.message, code=code, data=error.to_data())


Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


def custom_request(handler: Handler) -> Callable[[Any, Any], Awaitable[dict[str, Any]]]:
    """Wrap an async `handler(ls, params_dict) -> dict` for `@server.feature`."""

    @functools.wraps(handler)
    async def wrapper(ls: Any, params: Any) -> dict[str, Any]:
        try:
            return await handler(ls, params_to_dict(params))
        except MirrordError as error:
            raise to_response_error(error) from None
        except (JsonRpcException, JsonRpcRequestCancelled):
            raise
        except Exception as error:  # noqa: BLE001 - the client must get a clean error
            log.exception("request %s failed", getattr(handler, "__name__", "?"))
            raise JsonRpcException(
                message=f"internal error: {type(error).__name__}",
                code=-32603,
                data={"kind": "conflict", "message": f"internal error: {type(error).__name__}"},
            ) from None

    return wrapper
