"""Params of the `mirrord/*` requests: validated once at the edge, a failure is an
`invalid-config` error naming the field, the lenient fields stay lenient."""

from __future__ import annotations

from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from mirrord_ide.errors import InvalidConfig
from mirrord_ide.lsp.edge import custom_request
from mirrord_ide.lsp.request_types import (
    MAX_TIMEOUT,
    REQUEST_TIMEOUT,
    TARGET_HINT,
    ListNamespacesParams,
    ListSessionsParams,
    ListTargetsParams,
    RequestParams,
    SetTargetParams,
    StartSessionParams,
    StopSessionParams,
    TargetPickerItemsParams,
    parse_params,
)


def refused(model: type[RequestParams], params: dict[str, Any]) -> InvalidConfig:
    with pytest.raises(InvalidConfig) as info:
        parse_params(model, params)
    return info.value


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        (StartSessionParams, {"target": 3}, "`target` must be a target path string or null"),
        (StartSessionParams, {"env": [1, 2]}, "`env` must be an object of strings"),
        (StartSessionParams, {"configUri": 5}, "`configUri` must be a string"),
        (StartSessionParams, {"agentNamespace": True}, "`agentNamespace` must be a string"),
        (
            StartSessionParams,
            {"workDoneToken": {}},
            "`workDoneToken` must be a string or an integer",
        ),
        (StopSessionParams, {}, "`sessionId` is required"),
        (StopSessionParams, {"sessionId": ""}, "`sessionId` is required"),
        (StopSessionParams, {"sessionId": 7}, "`sessionId` must be a string"),
        (ListTargetsParams, {"namespace": 5}, "`namespace` must be a string"),
        (TargetPickerItemsParams, {"filter": ["a"]}, "`filter` must be a string"),
        (SetTargetParams, {"target": None}, "`configUri` is required: the config to save"),
        (SetTargetParams, {"configUri": "file:///m.json"}, "`target` is required (null for"),
        (
            SetTargetParams,
            {"configUri": "file:///m.json", "target": 3},
            "`target` must be a string",
        ),
    ],
)
def test_bad_params_name_the_field(
    model: type[RequestParams], params: dict[str, Any], message: str
) -> None:
    error = refused(model, params)
    assert error.kind == "invalid-config"
    assert error.message.startswith(message), error.message


def test_set_target_errors_about_the_target_carry_the_hint() -> None:
    assert refused(SetTargetParams, {"configUri": "file:///m.json"}).hint == TARGET_HINT
    assert refused(SetTargetParams, {"target": "pod/web"}).hint is None


def test_start_session_params_keep_absent_apart_from_null() -> None:
    absent = parse_params(StartSessionParams, {"configUri": "", "env": None})
    assert not absent.target_given and absent.config_uri is None and absent.env == {}
    targetless = parse_params(StartSessionParams, {"target": None})
    assert targetless.target_given and targetless.target is None
    full = parse_params(
        StartSessionParams,
        {
            "configUri": "file:///w/mirrord.json",
            "target": "pod/web",
            "namespace": "shop",
            "agentNamespace": "agents",
            "env": {"A": 1, "B": None, "C": "c"},
            "debugType": "python",
            "workDoneToken": 4,
            "unknown": "ignored",
        },
    )
    assert full.config_uri == "file:///w/mirrord.json" and full.target == "pod/web"
    assert (full.namespace, full.agent_namespace, full.debug_type) == ("shop", "agents", "python")
    assert full.env == {"A": "1", "C": "c"} and full.work_done_token == 4


def test_target_request_fields_stay_lenient() -> None:
    params = parse_params(
        TargetPickerItemsParams,
        {"timeout": "soon", "allNamespaces": 1, "allowStale": "yes", "env": "x", "namespace": ""},
    )
    assert params.deadline == REQUEST_TIMEOUT
    assert not params.all_namespaces and not params.allow_stale
    assert params.env == {} and params.namespace is None
    on = parse_params(
        ListTargetsParams, {"timeout": 2, "allNamespaces": True, "allowStale": True, "env": {}}
    )
    assert on.deadline == 2.0 and on.all_namespaces and on.allow_stale
    assert parse_params(ListNamespacesParams, {"timeout": 600}).deadline == MAX_TIMEOUT
    assert parse_params(ListNamespacesParams, {"timeout": True}).deadline == REQUEST_TIMEOUT
    assert parse_params(ListNamespacesParams, {"timeout": -1}).deadline == REQUEST_TIMEOUT
    assert parse_params(ListSessionsParams, {"any": 1}) == ListSessionsParams()


async def test_the_edge_hands_handlers_a_validated_instance() -> None:
    seen: list[StopSessionParams] = []

    async def handler(ls: Any, params: StopSessionParams) -> dict[str, Any]:
        seen.append(params)
        return {"stopped": True}

    wrapped = custom_request(StopSessionParams, handler)
    assert await wrapped(None, {"sessionId": "s-1"}) == {"stopped": True}
    assert seen == [StopSessionParams(session_id="s-1")]
    with pytest.raises(JsonRpcException) as info:
        await wrapped(None, [])  # a Lua client's empty table: no sessionId
    assert info.value.code == -33005
    assert info.value.data == {"kind": "invalid-config", "message": "`sessionId` is required"}
    assert len(seen) == 1
