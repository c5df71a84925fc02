"""`feature.network.incoming` as the builtin engine reads it, and which ports it mirrors."""

from __future__ import annotations

from typing import Any

import pytest

from mirrord_ide.agent.resolve import ResolvedTarget
from mirrord_ide.agent.sessions import incoming_plan
from mirrord_ide.agent.settings import incoming_settings
from mirrord_ide.errors import InvalidConfig


def network(incoming: Any) -> dict[str, Any]:
    return {"feature": {"network": {"incoming": incoming}}}


@pytest.mark.parametrize(
    ("config", "env", "mode"),
    [
        (None, {}, "mirror"),
        (network(True), {}, "mirror"),
        (network(False), {}, "off"),
        (network("steal"), {}, "steal"),
        ({"feature": {"network": False}}, {}, "off"),
        (network({"mode": "off"}), {}, "off"),
        # mirrord reads a bool string in the env var as steal / off.
        (network("mirror"), {"MIRRORD_AGENT_TCP_STEAL_TRAFFIC": "true"}, "steal"),
        (network({"mode": "steal"}), {"MIRRORD_AGENT_TCP_STEAL_TRAFFIC": "mirror"}, "mirror"),
    ],
)
def test_mode(config: Any, env: dict[str, str], mode: str) -> None:
    assert incoming_settings(config, env).mode == mode


def test_ports_and_mapping() -> None:
    settings = incoming_settings(
        network({"ports": [80, 9090], "port_mapping": [[8080, 80]], "ignore_ports": [9090]})
    )
    assert settings.ports == frozenset({80, 9090})
    assert settings.local_port(80) == 8080 and settings.local_port(443) == 443
    ports, warnings = incoming_plan(settings, None)
    assert ports == [80] and warnings == []


def test_bad_values_are_config_errors() -> None:
    with pytest.raises(InvalidConfig, match="mirror, steal, off"):
        incoming_settings(network("copy"))
    with pytest.raises(InvalidConfig, match="port_mapping"):
        incoming_settings(network({"port_mapping": [[1, 2, 3]]}))
    with pytest.raises(InvalidConfig, match="ports"):
        incoming_settings(network({"ports": [70000]}))


def target_with_ports(ports: list[dict[str, Any]]) -> ResolvedTarget:
    pod = {"spec": {"containers": [{"name": "app", "ports": ports}, {"name": "side"}]}}
    return ResolvedTarget(
        path="pod/web",
        namespace="shop",
        pod="web",
        container="app",
        container_id="abc",
        runtime="containerd",
        node="node-1",
        pod_object=pod,
    )


def test_declared_tcp_ports_are_the_default() -> None:
    target = target_with_ports(
        [{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}, {"containerPort": 9000}]
    )
    ports, warnings = incoming_plan(incoming_settings(None), target)
    assert ports == [8080, 9000] and warnings == []
    ports, warnings = incoming_plan(
        incoming_settings(network({"mode": "steal", "http_filter": {"path_filter": "/x"}})), target
    )
    assert ports == [8080, 9000]
    assert any("steal" in w for w in warnings) and any("HTTP filters" in w for w in warnings)
    assert incoming_plan(incoming_settings(network("off")), target) == ([], [])
