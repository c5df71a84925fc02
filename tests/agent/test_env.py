"""Remote environment resolution and `feature.env` filtering."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import pytest

from mirrord_ide.agent.env import apply_settings, container_env, expand, fetch_remote_env
from mirrord_ide.agent.settings import EnvSettings, env_settings
from mirrord_ide.errors import Forbidden, InvalidConfig


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


POD: dict[str, Any] = {
    "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {
        "nodeName": "node-a",
        "containers": [
            {
                "name": "app",
                "envFrom": [
                    {"configMapRef": {"name": "shared"}},
                    {"secretRef": {"name": "creds"}, "prefix": "SEC_"},
                    {"configMapRef": {"name": "absent", "optional": True}},
                ],
                "env": [
                    {"name": "PLAIN", "value": "1"},
                    {"name": "URL", "value": "http://$(HOST):$(PORT)/$$(x)"},
                    {
                        "name": "HOST",
                        "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "host"}},
                    },
                    {
                        "name": "TOKEN",
                        "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}},
                    },
                    {
                        "name": "OPT",
                        "valueFrom": {
                            "secretKeyRef": {"name": "missing", "key": "k", "optional": True}
                        },
                    },
                    {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {
                        "name": "APP",
                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}},
                    },
                ],
            }
        ],
    },
    "status": {"podIP": "10.1.1.1"},
}
CONFIGMAPS = {
    "shared": {"data": {"PORT": "8080", "HOST": "early"}},
    "cfg": {"data": {"host": "db"}},
}
SECRETS = {"creds": {"data": {"token": b64("s3cret"), "user": b64("bob")}}, "missing": None}


async def fetch(kind: str, name: str) -> Mapping[str, Any] | None:
    table = CONFIGMAPS if kind == "configmaps" else SECRETS
    return table.get(name)


def test_container_env_resolves_every_source() -> None:
    env, warnings = container_env(POD, POD["spec"]["containers"][0], CONFIGMAPS, SECRETS)
    assert env["PORT"] == "8080"
    assert env["SEC_token"] == "s3cret" and env["SEC_user"] == "bob"
    assert env["PLAIN"] == "1"
    # Expansion sees variables defined before it (HOST comes later: stays from envFrom).
    assert env["URL"] == "http://early:8080/$(x)"
    assert env["HOST"] == "db"
    assert env["TOKEN"] == "s3cret"
    assert "OPT" not in env
    assert env["POD"] == "web-1" and env["APP"] == "web"
    assert warnings == []


def test_missing_required_reference_warns_without_the_value() -> None:
    container = {
        "name": "app",
        "env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "nope"}}}],
    }
    env, warnings = container_env(POD, container, {}, SECRETS)
    assert "K" not in env
    assert warnings == ["`K`: secret `creds` has no key `nope`"]
    assert "s3cret" not in " ".join(warnings)


def test_expand_rules() -> None:
    assert expand("$(A)-$(B)-$$(A)", {"A": "1"}) == "1-$(B)-$(A)"


async def test_fetch_remote_env_filters() -> None:
    settings = env_settings({"feature": {"env": {"include": "P*;HOST", "override": {"X": "y"}}}})
    result = await fetch_remote_env(fetch, POD, "app", settings)
    assert result.env == {"PORT": "8080", "PLAIN": "1", "POD": "web-1", "HOST": "db", "X": "y"}


async def test_env_disabled() -> None:
    result = await fetch_remote_env(fetch, POD, "app", env_settings({"feature": {"env": False}}))
    assert result.env == {}


def test_exclude_glob_unset_and_mapping() -> None:
    settings = EnvSettings(
        exclude=("SEC_*", "?OD"),
        unset=("PLAIN",),
        mapping={".*_TIMEOUT": "5"},
        override={"NEW": "v"},
    )
    remote = {"SEC_a": "1", "POD": "p", "PLAIN": "x", "READ_TIMEOUT": "30", "KEEP": "k"}
    out = apply_settings(remote, settings)
    assert out.env == {"READ_TIMEOUT": "5", "KEEP": "k", "NEW": "v"}
    assert out.unset == ["PLAIN"]


def test_include_and_exclude_together_is_invalid() -> None:
    with pytest.raises(InvalidConfig, match="both `include` and `exclude`"):
        env_settings({"feature": {"env": {"include": ["A"], "exclude": "B"}}})


def test_env_var_overrides_filters() -> None:
    settings = env_settings(None, {"MIRRORD_OVERRIDE_ENV_VARS_INCLUDE": "A;B*"})
    assert settings.include == ("A", "B*")


async def test_unreadable_sources_are_reported_as_forbidden() -> None:
    async def denying(kind: str, name: str) -> Mapping[str, Any] | None:
        if kind == "secrets":
            raise Forbidden(f'secrets "{name}" is forbidden')
        return await fetch(kind, name)

    result = await fetch_remote_env(denying, POD, "app", env_settings(None))
    assert result.env["PORT"] == "8080" and "TOKEN" not in result.env
    assert "SEC_token" not in result.env
    joined = "\n".join(result.warnings)
    assert "secret `creds` (envFrom) could not be read: forbidden" in joined
    assert "`TOKEN`: secret `creds` could not be read: forbidden" in joined
    # An optional secret that is missing or unreadable may still reach the pod.
    assert "`OPT`: secret `missing` could not be read: forbidden" in joined
    assert "not found" not in joined
