"""The JSON-RPC edge: every request with an id gets exactly one answer.

pygls drops some messages without a word: a request without `method`, with a
non-string method or a `jsonrpc` other than "2.0" is only logged, params that
do not fit lsprotocol's types fail inside the JSON decoder's object hook (so
the request is never answered), malformed JSON is logged as an exception, and
a request before `initialize` reaches its handler and fails with a traceback
in `data`. This protocol checks each message itself before pygls dispatches
it and answers as JSON-RPC 2.0 and LSP 3.17 prescribe:

- `-32700` (id null) for a body that is not JSON;
- `-32600` for a message that is not a request, notification or response
  (id null when it has no usable id), for requests after `shutdown`, and for
  a request naming a notification method;
- `-32601` for a request no handler serves;
- `-32602` when params do not fit the method's LSP type;
- `-32002` for a request before `initialize` (notifications are dropped then,
  except `exit`);
- `-32603` for a handler failure, with no traceback in `data`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any

import attrs
from cattrs import BaseValidationError, transform_error
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcMethodNotFound,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    MsgId,
)
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)

# Messages accepted before `initialize` (LSP 3.17, "Initialize Request").
_BEFORE_INITIALIZE = {types.INITIALIZE, types.EXIT}
# The longest description of bad params sent back to a client.
_MAX_DETAIL = 300


def _valid_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _params_problem(error: Exception) -> str:
    """Where params failed lsprotocol's structuring, as `message @ $.path` lines."""
    if isinstance(error, BaseValidationError):
        try:
            text = "; ".join(transform_error(error))
        except Exception:  # noqa: BLE001 - a summary is best effort
            text = str(error)
    else:
        text = f"{type(error).__name__}"
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."


def _exception_name(message: str) -> str:
    """`"ValueError: bad thing"` (pygls's internal error message) -> `"ValueError"`."""
    head = message.split(":", 1)[0].strip()
    return head if head and all(part.isidentifier() for part in head.split(".")) else ""


class MirrordProtocol(LanguageServerProtocol):
    """Validates every incoming message before pygls dispatches it (see the
    module docstring) and pins the position encoding to UTF-16.

    Every layer below computes UTF-16 positions, and UTF-16 is the encoding
    every client must support; a client that offers UTF-8 first (Neovim 0.10+)
    would otherwise get positions in units it did not expect."""

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self._initialize_received = False

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        if params.capabilities.general is not None:
            params.capabilities.general.position_encodings = None
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        # pygls cancels the other requests' futures while iterating over the
        # live dict; their done-callbacks (`_forget`) remove entries from it,
        # which ends `shutdown` in "dictionary changed size during iteration".
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    # -- incoming ------------------------------------------------------------------------

    def handle_body(self, body: bytes) -> None:
        """One frame's body, as the transport cut it."""
        try:
            data = json.loads(body)
        except UnicodeDecodeError as error:
            log.warning("a message is not valid UTF-8 (at byte %d)", error.start)
            self._reply_error(None, JsonRpcParseError("Parse error: the body is not UTF-8"))
            return
        except (ValueError, RecursionError) as error:
            detail = str(error) if isinstance(error, ValueError) else "nested too deeply"
            log.warning("a message is not JSON: %s", detail)
            self._reply_error(None, JsonRpcParseError(f"Parse error: {detail}"))
            return
        self._handle_data(data)

    def structure_message(self, data: dict[str, Any]) -> Any:
        # Used as a `json.loads` object hook by pygls's own transports: keep
        # every object as it is; `handle_message` checks and types the whole message.
        return data

    def handle_message(self, message: Any) -> None:
        if attrs.has(type(message)):
            super().handle_message(message)
        else:
            self._handle_data(message)

    def _handle_data(self, data: Any) -> None:
        if not isinstance(data, dict):
            # Batches are not part of LSP; neither are bare values.
            self._reply_error(None, JsonRpcInvalidRequest("Invalid request: expected an object"))
            return
        has_id = "id" in data
        msg_id = data.get("id")
        method = data.get("method")
        if "method" not in data and ("result" in data or "error" in data):
            self._handle_client_response(data)
            return
        reply_to = msg_id if _valid_id(msg_id) else None
        problem = None
        if has_id and reply_to is None:
            problem = "id must be a string or an integer"
        elif data.get("jsonrpc") != self.VERSION:
            problem = 'jsonrpc must be "2.0"'
        elif "method" not in data:
            problem = "no method"
        elif not isinstance(method, str):
            problem = "method must be a string"
        elif data.get("params") is not None and not isinstance(data["params"], dict | list):
            problem = "params must be an object or an array"
        if problem is not None:
            log.warning("invalid message: %s", problem)
            self._reply_error(reply_to, JsonRpcInvalidRequest(f"Invalid request: {problem}"))
            return
        assert isinstance(method, str)
        if not self._admit(method, reply_to, has_id):
            return
        message = self._structure(data, method, reply_to, has_id)
        if message is None:
            return
        if method == types.INITIALIZE:
            self._initialize_received = True
        super().handle_message(message)

    def _admit(self, method: str, msg_id: MsgId | None, is_request: bool) -> bool:
        """Whether the server takes `method` in its present state; answers if not."""
        if self._shutdown and method != types.EXIT:
            log.warning("%s after shutdown", method)
            if is_request:
                self._reply_error(
                    msg_id, JsonRpcInvalidRequest("Invalid request: the server is shutting down")
                )
            return False
        if not self._initialize_received and method not in _BEFORE_INITIALIZE:
            log.warning("%s before initialize", method)
            if is_request:
                self._reply_error(
                    msg_id,
                    JsonRpcServerNotInitialized(
                        f"the server is not initialized: send initialize before {method}"
                    ),
                )
            return False
        if method == types.INITIALIZE and self._initialize_received and is_request:
            self._reply_error(
                msg_id, JsonRpcInvalidRequest("Invalid request: initialize was already received")
            )
            return False
        if is_request and self._handler(method) is None:
            log.warning("no handler for request %s", method)
            self._reply_error(msg_id, JsonRpcMethodNotFound.of(method))
            return False
        return True

    def _handler(self, method: str) -> Any:
        return self.fm.builtin_features.get(method) or self.fm.features.get(method)

    def _structure(
        self, data: dict[str, Any], method: str, msg_id: MsgId | None, is_request: bool
    ) -> Any:
        """The message as pygls's typed object, or None once answered or dropped."""
        message_type = self.get_message_type(method)
        envelope = {key: data[key] for key in ("id", "method", "jsonrpc", "params") if key in data}
        if message_type is None:
            message_type = JsonRPCRequestMessage if is_request else JsonRPCNotification
            envelope.setdefault("params", None)
        elif is_request != ("id" in attrs.fields_dict(message_type)):
            if is_request:
                self._reply_error(
                    msg_id, JsonRpcInvalidRequest(f"Invalid request: {method} is a notification")
                )
            else:
                log.warning("dropped %s sent as a notification: it is a request", method)
            return None
        try:
            return self._converter.structure(envelope, message_type)
        except Exception as error:  # noqa: BLE001 - any structuring failure is bad params
            detail = _params_problem(error)
            log.warning("invalid params for %s: %s", method, detail)
            if is_request:
                self._reply_error(msg_id, JsonRpcInvalidParams(f"Invalid params: {detail}"))
            return None

    def _handle_client_response(self, data: dict[str, Any]) -> None:
        """A response to a request this server sent (workspace/configuration, ...)."""
        msg_id = data.get("id")
        if not _valid_id(msg_id) or data.get("jsonrpc") != self.VERSION:
            log.warning("dropped a response with id %r", msg_id)
            return
        assert isinstance(msg_id, str | int)
        message: Any
        try:
            if "error" in data:
                message = self._converter.structure(data, types.ResponseErrorMessage)
            else:
                result_type = self._result_types.pop(msg_id, None) or JsonRPCResponseMessage
                message = self._converter.structure(data, result_type)
        except Exception as error:  # noqa: BLE001 - a bad answer fails the request that waits
            log.warning("invalid response %r: %s", msg_id, _params_problem(error))
            future = self._request_futures.pop(msg_id, None)
            if future is not None and not future.done():
                future.set_exception(JsonRpcInvalidParams("the client's response is invalid"))
            return
        super().handle_message(message)

    def _execute_handler(
        self,
        msg_id: MsgId,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls files the future of every notification handler and of every
        # step of its own generator handlers (didOpen, didChange, didClose...)
        # under a fresh id and never removes it: one future and its lock per
        # message, kept for the life of the server, and every full garbage
        # collection walks them all (pauses grew past a second over a long
        # session). Only the answers to client requests remove their entry.
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: MsgId, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    # -- outgoing ------------------------------------------------------------------------

    def _reply_error(self, msg_id: MsgId | None, error: JsonRpcException) -> None:
        if msg_id is None:
            # lsprotocol leaves out a null id; JSON-RPC requires it in this answer.
            payload = {"code": error.code, "message": error.message}
            self._send_data({"jsonrpc": self.VERSION, "id": None, "error": payload})
        else:
            self._send_response(msg_id, error=error.to_response_error())

    def _send_response(
        self,
        msg_id: MsgId,
        result: Any | None = None,
        error: types.ResponseError | None = None,
    ) -> None:
        if error is not None and error.code == JsonRpcInternalError.CODE:
            data = error.data
            if not (isinstance(data, dict) and "kind" in data):
                # pygls puts the traceback in `data`; it belongs in the log only.
                name = _exception_name(error.message)
                message = f"internal error: {name}" if name else "internal error"
                error = types.ResponseError(code=error.code, message=message)
        super()._send_response(msg_id, result, error)
