"""Params and results of the custom `mirrord/*` requests (see protocol.md).

Clients send camelCase keys; the models take them by alias and ignore keys they
do not know. `lsp/edge.py custom_request` validates a request's params once,
before its handler runs, and turns a failure into an `invalid-config` error
naming the field (`params_error`). Fields that were always read leniently (a
timeout that is not a positive number means the default, a flag is on only
when it is `true`, the environment of the target requests is an overlay that
skips what is not an object) stay lenient.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypedDict, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from mirrord_ide.errors import InvalidConfig

# Seconds a cluster request may take when the client does not say, and at most.
REQUEST_TIMEOUT = 10.0
MAX_TIMEOUT = 60.0

TARGET_HINT = 'use "targetless" (or null) or a path such as pod/<name>[/container/<name>]'

# What a field of a type must be, as an error message says it.
_EXPECTED: dict[str, str] = {
    "string_type": "a string",
    "dict_type": "an object",
    "bool_type": "true or false",
    "int_type": "an integer",
    "float_type": "a number",
    "list_type": "an array",
}


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value else value


def _positive_number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return min(float(value), MAX_TIMEOUT)
    return None


def _only_true(value: Any) -> bool:
    return value is True


def _env_overlay(value: Any) -> dict[str, str]:
    """The lenient environment of the target requests: anything but an object is none."""
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def _env_strict(value: Any) -> Any:
    """A session's environment: an object (null values dropped); anything else fails."""
    if not value:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v is not None}
    return value


# A string where "" means not given.
OptStr = Annotated[str | None, BeforeValidator(_blank_is_none)]
Timeout = Annotated[float | None, BeforeValidator(_positive_number)]
Flag = Annotated[bool, BeforeValidator(_only_true)]


class RequestParams(BaseModel):
    """Params of a `mirrord/*` request. Subclasses may say what a field must be
    (`expected`, by client key: "`env` must be <expected>"), give the whole message
    for a field that is missing or empty (`required`), and a hint (`hints`)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        strict=True,
        frozen=True,
    )

    expected: ClassVar[dict[str, str]] = {}
    required: ClassVar[dict[str, str]] = {}
    hints: ClassVar[dict[str, str]] = {}


class ListNamespacesParams(RequestParams):
    timeout: Timeout = None

    @property
    def deadline(self) -> float:
        return self.timeout or REQUEST_TIMEOUT


class ListTargetsParams(ListNamespacesParams):
    config_uri: OptStr = None
    namespace: OptStr = None
    env: Annotated[dict[str, str], BeforeValidator(_env_overlay)] = Field(default_factory=dict)
    all_namespaces: Flag = False
    # The listing kept on disk may answer at once (the answer then says `stale`).
    allow_stale: Flag = False


class TargetPickerItemsParams(ListTargetsParams):
    # The target to preselect.
    target: OptStr = None
    filter: OptStr = None


class StartSessionParams(RequestParams):
    config_uri: OptStr = None
    # Absent: the config's (or the environment's) target; null: targetless.
    target: str | None = None
    namespace: OptStr = None
    agent_namespace: OptStr = None
    env: Annotated[dict[str, str], BeforeValidator(_env_strict)] = Field(default_factory=dict)
    debug_type: OptStr = None
    work_done_token: int | str | None = None

    expected: ClassVar[dict[str, str]] = {
        "target": "a target path string or null",
        "env": "an object of strings",
        "workDoneToken": "a string or an integer",
    }

    @property
    def target_given(self) -> bool:
        return "target" in self.model_fields_set


class StopSessionParams(RequestParams):
    session_id: str = Field(min_length=1)

    required: ClassVar[dict[str, str]] = {"sessionId": "`sessionId` is required"}


class ListSessionsParams(RequestParams):
    pass


class SetTargetParams(RequestParams):
    config_uri: str = Field(min_length=1)
    # Required; null saves targetless.
    target: str | None
    namespace: OptStr = None

    expected: ClassVar[dict[str, str]] = {"target": "a string or null"}
    required: ClassVar[dict[str, str]] = {
        "configUri": "`configUri` is required: the config to save the target into",
        "target": "`target` is required (null for targetless)",
    }
    hints: ClassVar[dict[str, str]] = {"target": TARGET_HINT}


def params_error(model: type[RequestParams], error: ValidationError) -> InvalidConfig:
    """The `invalid-config` error for the first field of `model` that failed."""
    first = error.errors(include_url=False, include_input=False)[0]
    loc = first["loc"]
    field = str(loc[0]) if loc else ""
    kind = first["type"]
    hint = model.hints.get(field)
    if not field:
        return InvalidConfig("params must be an object")
    if kind in ("missing", "string_too_short"):
        message = model.required.get(field, f"`{field}` is required")
    elif field in model.expected:
        message = f"`{field}` must be {model.expected[field]}"
    elif kind in _EXPECTED:
        message = f"`{field}` must be {_EXPECTED[kind]}"
    else:
        message = f"`{field}`: {first['msg']}"
    return InvalidConfig(message, hint=hint)


P = TypeVar("P", bound=RequestParams)


def parse_params(model: type[P], params: dict[str, Any]) -> P:
    """`params` as `model`, or the `invalid-config` error saying what is wrong."""
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise params_error(model, error) from None


# -- results --------------------------------------------------------------------------------


class StopSessionResult(TypedDict):
    stopped: bool


class ListSessionsResult(TypedDict):
    sessions: list[dict[str, Any]]


class SetTargetResult(TypedDict):
    # A WorkspaceEdit, as JSON.
    edit: dict[str, Any]
