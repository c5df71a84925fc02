"""kubeconfigs of the shapes people really have work as they do with kubectl, and what
kubectl rejects is rejected with a message as precise as kubectl's, without a secret."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from mirrord_ide.cluster.kubeconfig import KubeSettings, load_kube_target, run_exec_plugin
from mirrord_ide.errors import InvalidConfig, MirrordError
from mirrord_simcluster.testing import SimCluster
from support.cluster import cluster_fixture
from support.rpc import RawClient, ResponseError, server_env
from support.server import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SEED = """
default_user: admin
users:
  - {name: admin, token: admin-token-5ecret, admin: true}
  - {name: expired, expired: true, admin: true}
namespaces:
  - name: default
    deployments:
      - {name: hello, replicas: 1, containers: [{name: hello, image: "hello:1"}]}
"""
SECRET = "admin-token-5ecret"


cluster = cluster_fixture(SEED)


def base(cluster: SimCluster) -> dict[str, Any]:
    data = yaml.safe_load(cluster.kubeconfig_path.read_text())
    assert isinstance(data, dict)
    return data


def user_of(data: dict[str, Any]) -> dict[str, Any]:
    user = data["users"][0]["user"]
    assert isinstance(user, dict)
    return user


def cluster_of(data: dict[str, Any]) -> dict[str, Any]:
    found = data["clusters"][0]["cluster"]
    assert isinstance(found, dict)
    return found


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def ls(kubeconfig: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("ls", "-o", "json", *args, env=server_env(None, KUBECONFIG=kubeconfig), cwd=cwd)


def listed(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return [t["path"] for t in json.loads(done.stdout)["targets"]]


def error_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 1, done.stdout
    error = json.loads(done.stdout)["error"]
    assert isinstance(error, dict)
    assert done.stderr.startswith("error: ")
    assert SECRET not in done.stdout + done.stderr
    return error


# -- what kubectl accepts -----------------------------------------------------------------


@pytest.mark.parametrize("content", [SECRET + "\n", f"  {SECRET}\r\n\n", SECRET + "\t"])
def test_token_file_with_surrounding_whitespace(
    cluster: SimCluster, tmp_path: Path, content: str
) -> None:
    data = base(cluster)
    user = user_of(data)
    del user["token"]
    (tmp_path / "token").write_text(content)
    user["tokenFile"] = str(tmp_path / "token")
    assert "deployment/hello" in listed(ls(str(write(tmp_path / "kc", data))))


@pytest.mark.parametrize("empty", ["", "\n\n", "# nothing here\n", "---\n"])
def test_empty_files_in_the_kubeconfig_list_are_skipped(
    cluster: SimCluster, tmp_path: Path, empty: str
) -> None:
    first = write(tmp_path / "empty-first", empty)
    real = write(tmp_path / "real", base(cluster))
    last = write(tmp_path / "empty-last", empty)
    assert "deployment/hello" in listed(ls(f"{first}:{real}:{last}:{tmp_path / 'missing'}"))
    # Only empty files: a clear error, not a crash.
    assert error_of(ls(f"{first}:{last}"))["kind"] == "invalid-config"


def test_relative_paths_resolve_against_the_kubeconfig_directory(
    cluster: SimCluster, tmp_path: Path
) -> None:
    data = base(cluster)
    cfg = cluster_of(data)
    (tmp_path / "conf" / "pki").mkdir(parents=True)
    (tmp_path / "conf" / "pki" / "ca.crt").write_bytes(cluster.ca_pem)
    del cfg["certificate-authority-data"]
    cfg["certificate-authority"] = "pki/ca.crt"
    user = user_of(data)
    del user["token"]
    (tmp_path / "conf" / "token").write_text(SECRET + "\n")
    user["tokenFile"] = "token"
    kubeconfig = write(tmp_path / "conf" / "config", data)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert "deployment/hello" in listed(ls(str(kubeconfig), cwd=elsewhere))
    # The client-go rule: each path is relative to the file that names it.
    second = write(tmp_path / "other" / "config", "apiVersion: v1\nkind: Config\n")
    assert "deployment/hello" in listed(ls(f"{second}:{kubeconfig}", cwd=elsewhere))


def exec_user(plugin: Path, **extra: Any) -> dict[str, Any]:
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(plugin),
            "interactiveMode": "Never",
            **extra,
        }
    }


def token_plugin(path: Path, token_expr: str = '"$PLUGIN_TOKEN"') -> Path:
    """A plugin answering with a token taken from its env/args, recording what it got."""
    path.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > "{path}.args"\n'
        f'printf "%s" "$KUBERNETES_EXEC_INFO" > "{path}.info"\n'
        'printf \'{"apiVersion": "client.authentication.k8s.io/v1", '
        f'"kind": "ExecCredential", "status": {{"token": "%s"}}}}\' {token_expr}\n'
    )
    path.chmod(0o755)
    return path


def test_exec_plugin_gets_env_args_and_exec_info(cluster: SimCluster, tmp_path: Path) -> None:
    data = base(cluster)
    (tmp_path / "bin").mkdir()
    plugin = token_plugin(tmp_path / "bin" / "plugin")
    data["users"][0]["user"] = exec_user(
        Path("bin/plugin"),  # relative to the kubeconfig's directory, as kubectl has it
        args=["--cluster", "demo"],
        env=[{"name": "PLUGIN_TOKEN", "value": SECRET}],
        provideClusterInfo=True,
    )
    assert "deployment/hello" in listed(ls(str(write(tmp_path / "kc", data)), cwd=Path("/")))
    assert plugin.with_suffix(".args").read_text().split() == ["--cluster", "demo"]
    info = json.loads(plugin.with_suffix(".info").read_text())
    assert info["kind"] == "ExecCredential" and info["spec"]["interactive"] is False
    assert info["spec"]["cluster"]["server"] == cluster.url


def test_exec_plugin_not_on_path_says_so_with_the_install_hint(tmp_path: Path) -> None:
    exec_config = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": "acme-auth-plugin",
        "installHint": "Install it with: acme components install auth",
        "interactiveMode": "Never",
    }
    with pytest.raises(MirrordError) as raised:
        run_exec_plugin(exec_config, str(tmp_path))
    error = raised.value
    assert error.kind == "unauthorized"
    assert "`acme-auth-plugin` was not found" in error.message
    assert "PATH" in (error.hint or "") and "acme components install auth" in (error.hint or "")


def test_exec_plugin_needing_a_terminal_is_refused_clearly(tmp_path: Path) -> None:
    plugin = token_plugin(tmp_path / "plugin")
    with pytest.raises(MirrordError, match="interactive terminal") as raised:
        run_exec_plugin({**exec_user(plugin)["exec"], "interactiveMode": "Always"}, str(tmp_path))
    assert raised.value.kind == "unauthorized"
    assert not plugin.with_suffix(".args").exists()  # never started


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("echo 'not json'", "no valid ExecCredential"),
        (
            'echo \'{"apiVersion": "client.authentication.k8s.io/v1", '
            '"kind": "ExecCredential", "status": {}}\'',
            "neither a token nor a client certificate",
        ),
        ("echo 'token expired for user' >&2; exit 3", "failed (exit 3): token expired"),
    ],
)
def test_exec_plugin_failures_are_named(tmp_path: Path, script: str, expected: str) -> None:
    plugin = tmp_path / "plugin"
    plugin.write_text(f"#!/bin/sh\n{script}\n")
    plugin.chmod(0o755)
    with pytest.raises(MirrordError) as raised:
        run_exec_plugin(exec_user(plugin)["exec"], str(tmp_path))
    assert expected in raised.value.message
    assert raised.value.kind == "unauthorized"


class ConnectProxy:
    """A minimal HTTP CONNECT proxy that counts the tunnels it opened."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tunnels: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            target = head.split(b" ")[1].decode()
            self.tunnels.append(target)
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port))) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pair = [client, upstream]
                while True:
                    ready, _, _ = select.select(pair, [], [], 30)
                    if not ready:
                        return
                    for sock in ready:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is client else client).sendall(data)

    def close(self) -> None:
        self.listener.close()


def test_proxy_url_is_used(cluster: SimCluster, tmp_path: Path) -> None:
    proxy = ConnectProxy()
    try:
        data = base(cluster)
        cluster_of(data)["proxy-url"] = f"http://127.0.0.1:{proxy.port}"
        assert "deployment/hello" in listed(ls(str(write(tmp_path / "kc", data))))
        assert proxy.tunnels and proxy.tunnels[0] == cluster.url.removeprefix("https://")
    finally:
        proxy.close()


def test_socks_proxy_without_pysocks_is_a_clear_error(tmp_path: Path) -> None:
    try:
        import socks  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("PySocks is installed")
    path = write(
        tmp_path / "kc",
        "apiVersion: v1\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', "
        "proxy-url: 'socks5://127.0.0.1:1080'}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n",
    )
    with pytest.raises(InvalidConfig, match="PySocks"):
        load_kube_target(KubeSettings(kubeconfig=str(path)))


# -- what kubectl rejects, as precisely as kubectl --------------------------------------


def test_untrusted_certificate_is_named(cluster: SimCluster, tmp_path: Path) -> None:
    data = base(cluster)
    del cluster_of(data)["certificate-authority-data"]  # the system CAs do not know it
    error = error_of(ls(str(write(tmp_path / "kc", data))))
    assert error["kind"] == "unreachable"
    assert "certificate is not trusted" in error["message"]
    assert "x509: certificate signed by unknown authority" in error["message"]
    assert "certificate-authority" in error["hint"]


def test_yaml_error_names_file_and_line_without_quoting_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "kc",
        "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: " + SECRET + ": x\n",
    )
    done = ls(str(path))
    error = error_of(done)
    assert error["kind"] == "invalid-config"
    assert f"{path}:5:" in error["message"]
    assert done.stderr.count("\n") == 2  # error: ..., hint: ...


def test_rejected_token_is_unauthorized_and_not_echoed(cluster: SimCluster) -> None:
    error = error_of(ls(str(cluster.kubeconfig_for("expired"))))
    assert error["kind"] == "unauthorized"
    assert cluster.token_for("expired") not in json.dumps(error)


@pytest.mark.slow
async def test_lsp_reports_kubeconfig_problems_with_their_kind(
    cluster: SimCluster, tmp_path: Path
) -> None:
    broken = write(tmp_path / "broken", "apiVersion: v1\nclusters: [\n  token: " + SECRET + "\n")
    data = base(cluster)
    del cluster_of(data)["certificate-authority-data"]
    untrusted = write(tmp_path / "untrusted", data)
    client = await RawClient.spawn(server_env(broken))
    try:
        await client.initialize()
        with pytest.raises(ResponseError) as raised:
            await client.request("mirrord/listTargets", {"namespace": "default"})
        assert raised.value.kind == "invalid-config"
        assert str(broken) in raised.value.data["message"]
        client.notify(
            "workspace/didChangeConfiguration",
            {"settings": {"mirrord": {"kubeconfig": str(untrusted)}}},
        )
        with pytest.raises(ResponseError) as raised:
            await client.request("mirrord/listTargets", {"namespace": "default"})
        assert raised.value.kind == "unreachable"
        assert "signed by unknown authority" in raised.value.data["message"]
        picker = await client.request("mirrord/targetPickerItems", {})
        messages = [i["label"] for i in picker["items"] if i["kind"] == "message"]
        assert any("signed by unknown authority" in m for m in messages), messages
        await client.close()
    finally:
        await client.kill()
    answers = "\n".join(json.dumps(r.message) for r in client.received)
    assert SECRET not in client.transcript()
    assert "Traceback" not in answers


def test_no_secret_in_any_kubeconfig_error(tmp_path: Path) -> None:
    """Every rejected kubeconfig shape: the message never carries a credential."""
    shapes = [
        f"users: [{{name: u, user: {{token: {SECRET}}}}}]\ncurrent-context: nope\n",
        f"users:\n- name: u\n  user: {{token: '{SECRET}'\n",
        f"users: {SECRET}\n",
        f"- {SECRET}\n",
        "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
        f"clusters: [{{name: k, cluster: {{server: 'https://x'}}}}]\n"
        f"users: [{{name: u, user: {{client-key-data: '!!{SECRET}'}}}}]\n",
    ]
    for index, text in enumerate(shapes):
        path = write(tmp_path / f"kc{index}", text)
        with pytest.raises(MirrordError) as raised:
            load_kube_target(KubeSettings(kubeconfig=str(path)))
        shown = f"{raised.value.message} {raised.value.hint}"
        assert SECRET not in shown, (index, shown)
