"""Reading the kubeconfig like kubectl: merged files, contexts, namespaces, exec plugins."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirrord_ide.cluster.kubeconfig import KubeSettings, load_kube_target
from mirrord_ide.errors import InvalidConfig, MirrordError

pytestmark = pytest.mark.timeout(30)


def write(path: Path, current: str | None, contexts: str, users: str = "") -> Path:
    text = "apiVersion: v1\nkind: Config\n"
    if current:
        text += f"current-context: {current}\n"
    text += (
        "clusters:\n"
        "- {name: one, cluster: {server: 'https://one.example:6443'}}\n"
        "- {name: two, cluster: {server: 'https://two.example:6443'}}\n"
        f"contexts:\n{contexts}"
        f"users:\n{users or '- {name: u, user: {token: abc}}'}\n"
    )
    path.write_text(text)
    return path


def test_several_files_merge_and_the_first_current_context_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(
        tmp_path / "a",
        "ctx-a",
        "- {name: ctx-a, context: {cluster: one, user: u, namespace: team-a}}\n",
    )
    second = write(
        tmp_path / "b",
        "ctx-b",
        "- {name: ctx-b, context: {cluster: two, user: u}}\n"
        "- {name: ctx-a, context: {cluster: two, user: u}}\n",
    )
    monkeypatch.setenv("KUBECONFIG", f"{first}:{tmp_path / 'missing'}:{second}")
    target = load_kube_target(KubeSettings())
    assert (target.context, target.namespace, target.server) == (
        "ctx-a",
        "team-a",
        "https://one.example:6443",
    )
    # A context only the second file defines is still reachable; no namespace means default.
    other = load_kube_target(KubeSettings(context="ctx-b"))
    assert (other.context, other.namespace, other.server) == (
        "ctx-b",
        "default",
        "https://two.example:6443",
    )


def test_explicit_kubeconfig_setting_beats_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = write(
        tmp_path / "env", "ctx-a", "- {name: ctx-a, context: {cluster: one, user: u}}\n"
    )
    setting = write(
        tmp_path / "setting", "ctx-b", "- {name: ctx-b, context: {cluster: two, user: u}}\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(env_file))
    assert load_kube_target(KubeSettings(kubeconfig=str(setting))).context == "ctx-b"


def test_missing_kubeconfig_and_unknown_context_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfig, match="no kubeconfig found"):
        load_kube_target(KubeSettings(kubeconfig=str(tmp_path / "nope")))
    path = write(tmp_path / "a", "ctx-a", "- {name: ctx-a, context: {cluster: one, user: u}}\n")
    with pytest.raises(InvalidConfig, match="context `other` not found") as raised:
        load_kube_target(KubeSettings(kubeconfig=str(path), context="other"))
    assert "get-contexts" in (raised.value.hint or "")
    no_current = write(tmp_path / "b", None, "- {name: ctx-a, context: {cluster: one, user: u}}\n")
    with pytest.raises(InvalidConfig, match="no current context"):
        load_kube_target(KubeSettings(kubeconfig=str(no_current)))


def test_exec_plugin_missing_from_path_names_the_command(tmp_path: Path) -> None:
    users = (
        "- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      command: acme-cloud-auth-plugin\n"
        "      installHint: Install it with acme-cli components install\n"
    )
    path = write(
        tmp_path / "a", "ctx-a", "- {name: ctx-a, context: {cluster: one, user: u}}\n", users
    )
    with pytest.raises(MirrordError) as raised:
        load_kube_target(KubeSettings(kubeconfig=str(path)))
    assert raised.value.kind == "unauthorized"
    assert "acme-cloud-auth-plugin" in raised.value.message
    assert "PATH" in (raised.value.hint or "") and "acme-cli" in (raised.value.hint or "")


def test_failing_exec_plugin_is_reported(tmp_path: Path) -> None:
    plugin = tmp_path / "broken-plugin"
    plugin.write_text("#!/bin/sh\necho 'session expired, log in again' >&2\nexit 1\n")
    plugin.chmod(0o755)
    users = (
        "- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        f"      command: {plugin}\n"
    )
    path = write(
        tmp_path / "a", "ctx-a", "- {name: ctx-a, context: {cluster: one, user: u}}\n", users
    )
    with pytest.raises(MirrordError) as raised:
        load_kube_target(KubeSettings(kubeconfig=str(path)))
    assert raised.value.kind == "unauthorized"
    assert "broken-plugin" in raised.value.message


def test_working_exec_plugin_provides_a_token(tmp_path: Path) -> None:
    plugin = tmp_path / "token-plugin"
    plugin.write_text(
        '#!/bin/sh\necho \'{"apiVersion": "client.authentication.k8s.io/v1beta1", '
        '"kind": "ExecCredential", "status": {"token": "from-plugin"}}\'\n'
    )
    plugin.chmod(0o755)
    users = (
        "- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        f"      command: {plugin}\n"
    )
    path = write(
        tmp_path / "a", "ctx-a", "- {name: ctx-a, context: {cluster: one, user: u}}\n", users
    )
    target = load_kube_target(KubeSettings(kubeconfig=str(path)))
    assert target.api_client.configuration.api_key["BearerToken"] == "Bearer from-plugin"
