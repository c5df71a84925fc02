"""The resolved config: defaults filled, target as mirrord prints it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mirrord_ide.config.model import MirrordConfig
from mirrord_ide.config.resolved import resolved_config_json


def resolved(value: dict[str, Any]) -> dict[str, Any]:
    data = resolved_config_json(MirrordConfig.model_validate(value))
    json.dumps(data)  # JSON-able
    return data


def test_defaults_are_filled() -> None:
    data = resolved({})
    assert data["agent"]["ttl"] == 1
    assert data["agent"]["startup_timeout"] == 60
    assert data["feature"]["network"]["incoming"]["mode"] == "mirror"
    assert data["startup_retry"] == {"min_ms": 500, "max_ms": 5000, "max_retries": 2}
    assert data["target"] == {"path": None, "namespace": None}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("targetless", {"path": "targetless", "namespace": None}),
        (
            "deploy/api/container/c",
            {"path": {"deployment": "api", "container": "c"}, "namespace": None},
        ),
        (
            {"path": "cronjob/n", "namespace": "ns"},
            {"path": {"cron_job": "n", "container": None}, "namespace": "ns"},
        ),
        (
            {"labels": {"app": "x"}},
            {"path": {"labels": {"app": "x"}, "container": None}, "namespace": None},
        ),
        ({"namespace": "ns"}, {"path": None, "namespace": "ns"}),
    ],
)
def test_target_forms(target: Any, expected: dict[str, Any]) -> None:
    assert resolved({"target": target})["target"] == expected


def test_user_values_kept() -> None:
    data = resolved(
        {
            "feature": {
                "network": {"incoming": "steal"},
                "db_branches": [{"type": "pg", "copy": {"mode": "empty"}}],
            }
        }
    )
    assert data["feature"]["network"]["incoming"] == "steal"
    assert data["feature"]["db_branches"][0]["copy"] == {"mode": "empty"}
