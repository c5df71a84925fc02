"""The precedence of target and namespaces: request > env > config > kubeconfig."""

from __future__ import annotations

import pytest

from mirrord_ide.config.model import MirrordConfig
from mirrord_ide.config.precedence import (
    ENV_AGENT_NAMESPACE,
    ENV_TARGET,
    ENV_TARGET_NAMESPACE,
    UNSET,
    resolve_selection,
)
from mirrord_ide.config.target_path import TARGETLESS
from mirrord_ide.errors import InvalidConfig

CONFIG = MirrordConfig.model_validate(
    {
        "target": {"path": "deploy/from-config", "namespace": "cfg-ns"},
        "agent": {"namespace": "cfg-agent"},
    }
)
ENV = {ENV_TARGET: "pod/from-env", ENV_TARGET_NAMESPACE: "env-ns", ENV_AGENT_NAMESPACE: "env-agent"}


def test_nothing_anywhere_means_picker() -> None:
    sel = resolve_selection(env={}, config=None, kube_namespace="kube-ns")
    assert sel.target is None and not sel.targetless
    assert sel.namespace == "kube-ns" and sel.source == "none"
    assert sel.agent_namespace is None


def test_config_over_kubeconfig() -> None:
    sel = resolve_selection(env={}, config=CONFIG, kube_namespace="kube-ns")
    assert sel.target_path == "deployment/from-config"
    assert (sel.namespace, sel.agent_namespace, sel.source) == ("cfg-ns", "cfg-agent", "config")


def test_env_over_config() -> None:
    sel = resolve_selection(env=ENV, config=CONFIG, kube_namespace="kube-ns")
    assert sel.target_path == "pod/from-env"
    assert (sel.namespace, sel.agent_namespace, sel.source) == ("env-ns", "env-agent", "env")


def test_request_over_env() -> None:
    sel = resolve_selection(
        request_target="rollout/from-request",
        request_namespace="req-ns",
        request_agent_namespace="req-agent",
        env=ENV,
        config=CONFIG,
        kube_namespace="kube-ns",
    )
    assert sel.target_path == "rollout/from-request"
    assert (sel.namespace, sel.agent_namespace, sel.source) == ("req-ns", "req-agent", "request")


def test_explicit_null_request_means_targetless() -> None:
    sel = resolve_selection(request_target=None, env=ENV, config=CONFIG, kube_namespace="k")
    assert sel.target == TARGETLESS and sel.targetless and sel.source == "request"
    # Namespaces still follow their own precedence.
    assert sel.namespace == "env-ns"
    assert sel.effective_agent_namespace == "env-ns"


def test_unset_request_falls_through() -> None:
    sel = resolve_selection(request_target=UNSET, env={}, config=CONFIG, kube_namespace="k")
    assert sel.source == "config"


def test_each_value_resolves_on_its_own() -> None:
    sel = resolve_selection(
        request_target="pod/p",
        env={ENV_TARGET_NAMESPACE: "env-ns"},
        config=CONFIG,
        kube_namespace="k",
    )
    assert (sel.target_path, sel.namespace, sel.agent_namespace) == ("pod/p", "env-ns", "cfg-agent")
    assert sel.effective_agent_namespace == "cfg-agent"


def test_targetless_config_and_empty_env_values() -> None:
    config = MirrordConfig.model_validate({"target": "targetless"})
    sel = resolve_selection(
        env={ENV_TARGET: "", ENV_TARGET_NAMESPACE: ""}, config=config, kube_namespace="k"
    )
    assert sel.targetless and sel.namespace == "k" and sel.source == "config"


def test_invalid_env_target_names_the_variable() -> None:
    with pytest.raises(InvalidConfig) as info:
        resolve_selection(env={ENV_TARGET: "pdo/x"}, config=None, kube_namespace="k")
    assert ENV_TARGET in info.value.message
    assert info.value.kind == "invalid-config"


def test_invalid_request_target() -> None:
    with pytest.raises(InvalidConfig, match="the request"):
        resolve_selection(request_target="pod", env={}, config=None, kube_namespace="k")


def test_invalid_config_target() -> None:
    config = MirrordConfig.model_validate({"target": "nonsense"})
    with pytest.raises(InvalidConfig, match="config file"):
        resolve_selection(env={}, config=config, kube_namespace="k")
