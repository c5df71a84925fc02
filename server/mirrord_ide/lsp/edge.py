"""The protocol edge for custom `mirrord/*` requests.

pygls hands custom-request params over as namedtuples (or attrs objects) and
turns any uncaught exception into an internal error with a traceback in
`data`. `custom_request` converts params to plain dicts and validates them
against the request's params model (`mirrord_ide.lsp.request_types`) once, so
handlers get a typed instance; it maps every `MirrordError` (a params problem
is `invalid-config`, naming the field) to a `ResponseError` with the contract's
`data` (`{"kind", "message", "hint"?}`), and never lets a traceback reach a client.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from mirrord_ide.contract import error_codes, fallback_error_code
from mirrord_ide.errors import Cancelled, MirrordError
from mirrord_ide.lsp.request_types import RequestParams, parse_params

log = logging.getLogger(__name__)

# Application error codes, outside JSON-RPC's reserved ranges (the client contract).
ERROR_CODES: dict[str, int] = error_codes()
FALLBACK_CODE = fallback_error_code()


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
    code = ERROR_CODES.get(error.kind, FALLBACK_CODE)
    return JsonRpcException(message=error.message, code=code, data=error.to_data())


P = TypeVar("P", bound=RequestParams)
R = TypeVar("R")


def custom_request(
    params_model: type[P], handler: Callable[[Any, P], Awaitable[R]]
) -> Callable[[Any, Any], Awaitable[R]]:
    """Wrap an async `handler(ls, params) -> result` for `@server.feature`; `params`
    is the request's params validated as `params_model`."""

    @functools.wraps(handler)
    async def wrapper(ls: Any, params: Any) -> R:
        try:
            return await handler(ls, parse_params(params_model, params_to_dict(params)))
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
