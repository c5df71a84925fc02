"""The pydantic model: every target form, shorthands, strict scalars, defaults."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mirrord_ide.config.model import (
    EnvConfig,
    FsConfig,
    IncomingConfig,
    MirrordConfig,
    NetworkConfig,
    TargetObject,
    TargetSpec,
)


def test_empty_config_has_mirrord_defaults() -> None:
    config = MirrordConfig.model_validate({})
    assert config.target is None
    assert config.agent.ttl == 1
    assert config.agent.startup_timeout == 60
    assert config.agent.ephemeral is False
    assert config.agent.image_pull_policy == "IfNotPresent"
    assert config.startup_retry.min_ms == 500 and config.startup_retry.max_ms == 5000
    network = config.feature.network
    assert isinstance(network, NetworkConfig)
    assert isinstance(network.incoming, IncomingConfig) and network.incoming.mode == "mirror"
    assert isinstance(config.feature.fs, FsConfig) and config.feature.fs.mode == "read"
    assert isinstance(config.feature.env, EnvConfig)


@pytest.mark.parametrize(
    "target",
    [
        None,
        "targetless",
        "pod/x/container/c",
        {"path": "deploy/d", "namespace": "ns"},
        {"path": {"pod": "p"}},
        {"namespace": "ns"},
        {},
        {"pod": "p", "container": "c"},
        {"deployment": "d"},
        {"rollout": "r"},
        {"job": "j"},
        {"cron_job": "c"},
        {"stateful_set": "s"},
        {"service": "s"},
        {"replica_set": "r"},
        {"labels": {"app": "x"}, "container": "c"},
    ],
)
def test_target_forms(target: Any) -> None:
    config = MirrordConfig.model_validate({"target": target})
    if isinstance(target, dict):
        expected = TargetObject if set(target) - {"path", "namespace"} else TargetSpec
        assert isinstance(config.target, expected)
    else:
        assert config.target == target


@pytest.mark.parametrize(
    "feature",
    [
        {"network": {"incoming": "steal"}},
        {"network": {"incoming": False}},
        {"network": False},
        {"network": {"incoming": {"mode": "off"}, "outgoing": False, "dns": False}},
        {"fs": "read"},
        {"fs": False},
        {"fs": {"mode": "write", "read_only": ".+\\.yaml"}},
        {"env": False},
        {"env": {"include": ["A", "B"]}},
        {"copy_target": True},
        {"copy_target": {"enabled": True, "scale_down": True}},
        {"network": {"incoming": {"http_filter": {"ports": 80}}}},
        {"network": {"incoming": {"http_filter": {"ports": [80, 8080]}}}},
        {"network": {"outgoing": {"filter": {"remote": "1.1.1.1"}}}},
        {"network": {"dns": {"filter": {"local": ["a.com"]}}}},
    ],
)
def test_feature_shorthands(feature: dict[str, Any]) -> None:
    MirrordConfig.model_validate({"feature": feature})


@pytest.mark.parametrize(
    "value",
    [
        {"agent": {"ttl": "5"}},  # serde never turns strings into numbers
        {"agent": {"ttl": True}},  # nor booleans into numbers
        {"agent": {"ttl": 1.0}},
        {"agent": {"ephemeral": 1}},
        {"agent": {"ephemeral": "true"}},
        {"agent": {"ttl": 70000}},
        {"agent": {"ttl": -1}},
        {"agent": {"unknown": 1}},
        {"feature": {"network": {"incoming": "stealing"}}},
        {"feature": {"network": {"outgoing": {"filter": {"remote": "a", "local": "b"}}}}},
        {"target": {"pod": "a", "deployment": "b"}},
        {"target": {"path": "pod/a", "pod": "a"}},
        {"target": 5},
    ],
)
def test_rejected(value: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MirrordConfig.model_validate(value)


def test_every_field_has_a_description() -> None:
    from pydantic import BaseModel

    seen: set[type[BaseModel]] = set()
    missing: list[str] = []

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for name, field in model.model_fields.items():
            if not field.description:
                missing.append(f"{model.__name__}.{name}")
        for sub in _models_below(model):
            visit(sub)

    visit(MirrordConfig)
    assert len(seen) > 30
    assert missing == []


def _models_below(model: type[Any]) -> list[type[Any]]:
    from mirrord_ide.config.schema_info import models_in

    out = []
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            tp = stack.pop()
            out.extend(models_in(tp))
            for arg in getattr(tp, "__args__", ()) or ():
                stack.append(arg)
            origin_args = getattr(tp, "__origin__", None)
            if origin_args is not None and hasattr(origin_args, "__args__"):
                stack.append(origin_args)
    return out


def test_forbid_everywhere() -> None:
    assert MirrordConfig.model_config.get("extra") == "forbid"
    assert IncomingConfig.model_config.get("extra") == "forbid"
