"""Find and load the kubeconfig the way kubectl does.

`KUBECONFIG` may list several files (`:`-separated; `;` on Windows). They are
merged: the first file to define a cluster, context or user wins, and so does
the first `current-context`. Files that are missing or empty are skipped, as
kubectl skips them. Without `KUBECONFIG`, `~/.kube/config` is used. The
namespace is the context's namespace, else `default`.

Relative paths (`certificate-authority`, `client-certificate`, `client-key`,
`tokenFile`, an exec plugin's `command` with a directory part) are resolved
against the directory of the file that defines them. Token files are trimmed
of surrounding whitespace (kubectl trims them too). Exec credential plugins run
here, in their own process group with a deadline, so a hung plugin can be
killed with everything it started and never holds the process at exit.

No message built here contains a credential (tokens, keys, passwords, the
plugin's output): errors name files, keys and commands only.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mirrord_ide.errors import InvalidConfig, MirrordError, Timeout, Unauthorized

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, Configuration

PATH_SEPARATOR = ";" if os.name == "nt" else ":"
DEFAULT_KUBECONFIG = "~/.kube/config"
ENV_KUBECONFIG = "MIRRORD_KUBECONFIG"
ENV_KUBE_CONTEXT = "MIRRORD_KUBE_CONTEXT"
# An exec plugin that has not answered by then is killed (with its process group).
EXEC_PLUGIN_TIMEOUT = 60.0
# Kill signal to process-group grace period.
_KILL_GRACE = 0.5
CHECK_KUBECONFIG_HINT = "check the kubeconfig with `kubectl config view`"


@dataclass(frozen=True, slots=True)
class KubeSettings:
    """Where to read the cluster from: an explicit kubeconfig (path or
    `:`-separated list) and context, or None for kubectl's defaults."""

    kubeconfig: str | None = None
    context: str | None = None


@dataclass(slots=True)
class KubeTarget:
    context: str
    namespace: str
    server: str
    api_client: ApiClient


# -- which cluster ------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def cluster_settings(
    kubeconfig: str | None = None,
    context: str | None = None,
    config: Any = None,
    environ: Mapping[str, str] | None = None,
) -> KubeSettings:
    """The one choice of cluster used by the editor, `ls`, `verify-config` and sessions.

    For each of kubeconfig and context: the explicit value (the editor's
    `mirrord.kubeconfig`/`mirrord.context` settings, the `--kubeconfig`/`--context`
    flags) wins, then `MIRRORD_KUBECONFIG`/`MIRRORD_KUBE_CONTEXT` (mirrord reads these
    over its config: mirrord/config/src/lib.rs), then the mirrord config's
    `kubeconfig`/`kube_context`; unset means kubectl's own defaults
    (`KUBECONFIG`, `~/.kube/config`, the current context).
    """
    env = os.environ if environ is None else environ
    value = config if isinstance(config, Mapping) else {}
    dump = getattr(config, "model_dump", None)
    if callable(dump):
        value = dump(mode="json", exclude_none=True)
    return KubeSettings(
        kubeconfig=_text(kubeconfig)
        or _text(env.get(ENV_KUBECONFIG))
        or _text(value.get("kubeconfig")),
        context=_text(context)
        or _text(env.get(ENV_KUBE_CONTEXT))
        or _text(value.get("kube_context")),
    )


def kubeconfig_paths(settings: KubeSettings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The kubeconfig files to merge, in precedence order (existing files only)."""
    env = os.environ if environ is None else environ
    raw = settings.kubeconfig or env.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    paths = []
    for part in raw.split(PATH_SEPARATOR):
        if part.strip():
            path = os.path.abspath(os.path.expanduser(part.strip()))
            if os.path.exists(path) and path not in paths:
                paths.append(path)
    return paths


# -- reading and merging ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """A named cluster, context or user and the file that defined it."""

    value: dict[str, Any]
    path: str

    @property
    def base_dir(self) -> str:
        return os.path.dirname(self.path)


@dataclass(slots=True)
class _Merged:
    clusters: dict[str, _Entry]
    contexts: dict[str, _Entry]
    users: dict[str, _Entry]
    current_context: str | None
    files: list[str]


def _read_file(path: str) -> dict[str, Any] | None:
    """One kubeconfig file as a dict; None for an empty file."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise InvalidConfig(
            f"the kubeconfig {path} is not UTF-8 text", hint=CHECK_KUBECONFIG_HINT
        ) from None
    except OSError as error:
        raise InvalidConfig(
            f"cannot read the kubeconfig {path}: {error.strerror or error}",
            hint="check the file's permissions",
        ) from None
    if not text.strip():
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        # The mark's own text quotes the offending line (it may hold a token): use
        # the line and column only.
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
        problem = error.problem or error.context or "invalid YAML"
        raise InvalidConfig(
            f"the kubeconfig {where}: YAML syntax error: {problem}",
            hint=f"fix line {mark.line + 1} of {path}"
            if mark is not None
            else CHECK_KUBECONFIG_HINT,
        ) from None
    except yaml.YAMLError:
        raise InvalidConfig(
            f"the kubeconfig {path} is not valid YAML", hint=CHECK_KUBECONFIG_HINT
        ) from None
    if data is None:
        return None
    if not isinstance(data, dict):
        raise InvalidConfig(
            f"the kubeconfig {path} is not a kubeconfig (expected a mapping at the top level)",
            hint=CHECK_KUBECONFIG_HINT,
        )
    return data


def _merge(paths: list[str]) -> _Merged:
    merged = _Merged({}, {}, {}, None, [])
    for path in paths:
        data = _read_file(path)
        if data is None:
            continue
        merged.files.append(path)
        for key, into in (
            ("clusters", merged.clusters),
            ("contexts", merged.contexts),
            ("users", merged.users),
        ):
            items = data.get(key) or []
            if not isinstance(items, list):
                raise InvalidConfig(
                    f"the kubeconfig {path}: `{key}` must be a list", hint=CHECK_KUBECONFIG_HINT
                )
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise InvalidConfig(
                        f"the kubeconfig {path}: every entry of `{key}` needs a `name`",
                        hint=CHECK_KUBECONFIG_HINT,
                    )
                # The first file to define a name wins (kubectl's merge rule).
                into.setdefault(item["name"], _Entry(item, path))
        current = data.get("current-context")
        if merged.current_context is None and isinstance(current, str) and current:
            merged.current_context = current
    return merged


def _section(entry: _Entry, key: str) -> dict[str, Any]:
    value = entry.value.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        name = entry.value.get("name")
        raise InvalidConfig(
            f"the kubeconfig {entry.path}: `{name}`'s `{key}` must be a mapping",
            hint=CHECK_KUBECONFIG_HINT,
        )
    return value


# -- files and inline data ----------------------------------------------------------------

_DATA_DIR: str | None = None
_DATA_LOCK = threading.Lock()


def _data_dir() -> str:
    global _DATA_DIR
    with _DATA_LOCK:
        if _DATA_DIR is None or not os.path.isdir(_DATA_DIR):
            _DATA_DIR = tempfile.mkdtemp(prefix="mirrord-ide-kube-")
            atexit.register(shutil.rmtree, _DATA_DIR, True)
        return _DATA_DIR


def _data_file(content: bytes) -> str:
    """A private (0600) file holding `content`, reused for identical content."""
    name = hashlib.sha256(content).hexdigest()[:32]
    path = os.path.join(_data_dir(), name)
    if not os.path.exists(path):
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(path + ".tmp", path)
    return path


def _file_or_data(entry: _Entry, section: dict[str, Any], key: str) -> str | None:
    """`key-data` (base64, written to a private file) or `key` (a path, relative to
    the defining file's directory). The path of a file the TLS layer can read."""
    data = section.get(f"{key}-data")
    if data:
        try:
            content = base64.b64decode("".join(str(data).split()), validate=True)
        except (ValueError, TypeError):
            raise InvalidConfig(
                f"the kubeconfig {entry.path}: `{key}-data` is not valid base64",
                hint=CHECK_KUBECONFIG_HINT,
            ) from None
        return _data_file(content)
    path = section.get(key)
    if not path:
        return None
    resolved = os.path.join(entry.base_dir, os.path.expanduser(str(path)))
    if not os.path.isfile(resolved):
        raise InvalidConfig(
            f"the kubeconfig {entry.path}: `{key}` file {resolved} does not exist",
            hint=CHECK_KUBECONFIG_HINT,
        )
    return resolved


def _token_file(entry: _Entry, path: str) -> str:
    resolved = os.path.join(entry.base_dir, os.path.expanduser(path))
    try:
        with open(resolved, encoding="utf-8") as handle:
            token = handle.read().strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "unreadable"
        raise InvalidConfig(
            f"the kubeconfig {entry.path}: cannot read `tokenFile` {resolved}: {reason}",
            hint=CHECK_KUBECONFIG_HINT,
        ) from None
    if not token:
        raise InvalidConfig(
            f"the kubeconfig {entry.path}: `tokenFile` {resolved} is empty",
            hint=CHECK_KUBECONFIG_HINT,
        )
    return token


# -- exec credential plugins --------------------------------------------------------------

_RUNNING: dict[int, subprocess.Popen[bytes]] = {}
_RUNNING_LOCK = threading.Lock()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the plugin and everything it started (its own process group)."""
    if os.name == "nt":
        with contextlib.suppress(OSError):
            proc.kill()
        return
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()


def kill_exec_plugins() -> None:
    """Kill every credential plugin still running (at exit, or when a connection is
    abandoned): the threads waiting for them return at once."""
    with _RUNNING_LOCK:
        running = list(_RUNNING.values())
    for proc in running:
        _kill_group(proc)


atexit.register(kill_exec_plugins)


@dataclass(frozen=True, slots=True)
class ExecCredential:
    token: str | None
    client_certificate: str | None  # PEM
    client_key: str | None  # PEM
    expires: datetime.datetime | None


def _plugin_command(command: str, base_dir: str, env: Mapping[str, str]) -> str | None:
    """The executable to run, or None when it cannot be found. A command with a
    directory part is relative to the kubeconfig's directory, as kubectl has it."""
    if os.sep in command or (os.altsep and os.altsep in command):
        resolved = os.path.join(base_dir, os.path.expanduser(command))
        return resolved if os.access(resolved, os.X_OK) else None
    return shutil.which(command, path=env.get("PATH"))


def _plugin_missing(command: str, exec_config: Mapping[str, Any]) -> MirrordError:
    hint = (
        f"install `{command}` or put it on the PATH the IDE was started with "
        "(the IDE may not see your shell's PATH), or use its absolute path in the kubeconfig"
    )
    install = exec_config.get("installHint")
    if install:
        hint += f". {str(install).strip()}"
    return Unauthorized(f"the kubeconfig's credential plugin `{command}` was not found", hint=hint)


def _parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    with contextlib.suppress(ValueError):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    return None


def run_exec_plugin(
    exec_config: Mapping[str, Any],
    base_dir: str,
    cluster: Mapping[str, Any] | None = None,
    *,
    timeout: float = EXEC_PLUGIN_TIMEOUT,
) -> ExecCredential:
    """Run a `client.authentication.k8s.io` exec plugin as kubectl does (args, env,
    `KUBERNETES_EXEC_INFO`, `provideClusterInfo`, `interactiveMode`) and read its
    ExecCredential. There is no terminal here: `interactiveMode: Always` is refused."""
    command = str(exec_config.get("command") or "")
    if not command:
        raise InvalidConfig(
            "the kubeconfig's exec credential plugin has no command",
            hint="set users[].user.exec.command in your kubeconfig",
        )
    api_version = str(exec_config.get("apiVersion") or "")
    if not api_version:
        raise InvalidConfig(
            f"the kubeconfig's credential plugin `{command}` has no apiVersion",
            hint="set users[].user.exec.apiVersion (e.g. client.authentication.k8s.io/v1)",
        )
    mode = exec_config.get("interactiveMode") or "IfAvailable"
    if mode == "Always":
        raise Unauthorized(
            f"the kubeconfig's credential plugin `{command}` needs an interactive terminal "
            "(interactiveMode: Always), which the IDE does not have",
            hint=f"run `kubectl get ns` in a terminal to log in with `{command}`, then retry",
        )
    env = dict(os.environ)
    for item in exec_config.get("env") or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            env[item["name"]] = str(item.get("value") or "")
    executable = _plugin_command(command, base_dir, env)
    if executable is None:
        raise _plugin_missing(command, exec_config)
    args = [str(a) for a in exec_config.get("args") or []]
    spec: dict[str, Any] = {"interactive": False}
    if exec_config.get("provideClusterInfo") and cluster:
        info = {k: v for k, v in cluster.items() if k != "extensions"}
        for extension in cluster.get("extensions") or []:
            if isinstance(extension, Mapping) and (
                extension.get("name") == "client.authentication.k8s.io/exec"
            ):
                info["config"] = extension.get("extension")
        spec["cluster"] = info
    env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}
    )
    try:
        proc = subprocess.Popen(  # noqa: S603 - the user's own kubeconfig names the command
            [executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as error:
        raise Unauthorized(
            f"the kubeconfig's credential plugin `{command}` could not start: "
            f"{error.strerror or error}",
            hint="check the plugin's path and permissions",
        ) from None
    with _RUNNING_LOCK:
        _RUNNING[proc.pid] = proc
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise Timeout(
            f"the kubeconfig's credential plugin `{command}` did not answer within {timeout:g}s",
            hint=f"run `{command}` in a terminal (it may be waiting for a login), then retry",
        ) from None
    finally:
        _kill_group(proc)  # anything it left running in its group
        with _RUNNING_LOCK:
            _RUNNING.pop(proc.pid, None)
    if proc.returncode != 0:
        detail = stderr.decode("utf-8", "replace").strip().splitlines()
        reason = f": {detail[0][:300]}" if detail else ""
        how = (
            f"was stopped by signal {-proc.returncode}"
            if proc.returncode < 0
            else f"failed (exit {proc.returncode})"
        )
        raise Unauthorized(
            f"the kubeconfig's credential plugin `{command}` {how}{reason}",
            hint=f"run `{command}` in a terminal (log in to your cloud again), then retry",
        )
    return _read_credential(command, api_version, stdout)


def _read_credential(command: str, api_version: str, stdout: bytes) -> ExecCredential:
    bad = f"the kubeconfig's credential plugin `{command}` printed no valid ExecCredential"
    try:
        data = json.loads(stdout)
    except ValueError:
        raise Unauthorized(
            bad, hint=f"run `{command}` in a terminal to see what it prints"
        ) from None
    status = data.get("status") if isinstance(data, dict) else None
    if not isinstance(status, dict) or data.get("kind") != "ExecCredential":
        raise Unauthorized(bad, hint=f"run `{command}` in a terminal to see what it prints")
    if data.get("apiVersion") != api_version:
        raise Unauthorized(
            f"the kubeconfig's credential plugin `{command}` answered with apiVersion "
            f"{data.get('apiVersion')!s:.60}, not {api_version}",
            hint="set users[].user.exec.apiVersion to what the plugin speaks",
        )
    token = _text(status.get("token"))
    cert = _text(status.get("clientCertificateData"))
    key = _text(status.get("clientKeyData"))
    if token is None and (cert is None or key is None):
        raise Unauthorized(
            f"{bad} (it has neither a token nor a client certificate and key)",
            hint=f"run `{command}` in a terminal to see what it prints",
        )
    return ExecCredential(token, cert, key, _parse_time(status.get("expirationTimestamp")))


# -- the client configuration -------------------------------------------------------------


def _exec_auth(
    configuration: Configuration, user_entry: _Entry, exec_config: Mapping[str, Any], cluster: Any
) -> None:
    credential = run_exec_plugin(exec_config, user_entry.base_dir, cluster)
    if credential.token is not None:
        configuration.api_key["BearerToken"] = f"Bearer {credential.token}"
        expires = credential.expires
        if expires is not None:
            state = {"expires": expires}

            def refresh(conf: Any) -> None:
                # Run again shortly before the token expires, as kubectl does.
                now = datetime.datetime.now(datetime.UTC)
                if state["expires"] - datetime.timedelta(seconds=10) > now:
                    return
                fresh = run_exec_plugin(exec_config, user_entry.base_dir, cluster)
                if fresh.token is not None:
                    conf.api_key["BearerToken"] = f"Bearer {fresh.token}"
                state["expires"] = fresh.expires or now + datetime.timedelta(minutes=5)

            configuration.refresh_api_key_hook = refresh  # type: ignore[assignment]
    else:
        assert credential.client_certificate is not None and credential.client_key is not None
        configuration.cert_file = _data_file(credential.client_certificate.encode())
        configuration.key_file = _data_file(credential.client_key.encode())


def _legacy_auth_provider(
    configuration: Configuration, name: str, cluster: _Entry, user: _Entry
) -> None:
    """`auth-provider` (oidc, gcp...): the official client's implementation."""
    from kubernetes.config.kube_config import KubeConfigLoader

    config = {
        "clusters": [{"name": "c", "cluster": cluster.value.get("cluster") or {}}],
        "users": [{"name": "u", "user": user.value.get("user") or {}}],
        "contexts": [{"name": name, "context": {"cluster": "c", "user": "u"}}],
        "current-context": name,
    }
    loader = KubeConfigLoader(
        config_dict=config, active_context=name, config_base_path=user.base_dir
    )
    loader.load_and_set(configuration)


def _proxy(cluster_entry: _Entry, url: str) -> str:
    from urllib.parse import urlparse

    scheme = urlparse(url).scheme.lower()
    if scheme in ("http", "https"):
        return url
    if scheme.startswith("socks"):
        try:
            import socks  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise InvalidConfig(
                f"the kubeconfig {cluster_entry.path}: `proxy-url` is a SOCKS proxy, which "
                "needs the PySocks package",
                hint="install PySocks into the IDE server's environment (pip install pysocks)",
            ) from None
        return url
    raise InvalidConfig(
        f"the kubeconfig {cluster_entry.path}: `proxy-url` scheme `{scheme}` is not supported",
        hint="use an http://, https:// or socks5:// proxy URL",
    )


@functools.cache
def _retry_class() -> Any:
    import urllib3
    from urllib3.exceptions import MaxRetryError, ReadTimeoutError

    class _NoTimeoutRetry(urllib3.Retry):
        """One retry for a connection that failed to open or was dropped (a pooled
        connection the server closed), none after a timeout: a stalled TLS handshake
        or answer is reported at once, not waited for again."""

        def increment(
            self,
            method: str | None = None,
            url: str | None = None,
            response: Any = None,
            error: Exception | None = None,
            _pool: Any = None,
            _stacktrace: Any = None,
        ) -> Any:
            if isinstance(error, ReadTimeoutError):
                raise MaxRetryError(_pool, url or "", error) from error
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return _NoTimeoutRetry


def _configure(
    context_name: str, cluster_entry: _Entry, user_entry: _Entry | None
) -> Configuration:
    import urllib3
    from kubernetes import client as k8s

    cluster = _section(cluster_entry, "cluster")
    server = _text(cluster.get("server"))
    if server is None:
        raise InvalidConfig(
            f"the kubeconfig {cluster_entry.path}: cluster `{cluster_entry.value['name']}` "
            "has no server",
            hint="set clusters[].cluster.server",
        )
    configuration = k8s.Configuration()
    configuration.host = server.rstrip("/")
    if server.startswith("https"):
        configuration.ssl_ca_cert = _file_or_data(cluster_entry, cluster, "certificate-authority")
    if cluster.get("insecure-skip-tls-verify") is True:
        configuration.verify_ssl = False
    if _text(cluster.get("tls-server-name")):
        configuration.tls_server_name = cluster["tls-server-name"]
    if _text(cluster.get("proxy-url")):
        configuration.proxy = _proxy(cluster_entry, cluster["proxy-url"])
    configuration.retries = _retry_class()(total=2, connect=1, read=1, redirect=0, status=0)

    user = _section(user_entry, "user") if user_entry is not None else {}
    if user_entry is not None:
        if server.startswith("https"):
            configuration.cert_file = _file_or_data(user_entry, user, "client-certificate")
            configuration.key_file = _file_or_data(user_entry, user, "client-key")
        if _text(user.get("token")):
            configuration.api_key["BearerToken"] = f"Bearer {str(user['token']).strip()}"
        elif _text(user.get("tokenFile")):
            configuration.api_key["BearerToken"] = (
                f"Bearer {_token_file(user_entry, user['tokenFile'])}"
            )
        elif _text(user.get("username")) and user.get("password") is not None:
            header = urllib3.util.make_headers(basic_auth=f"{user['username']}:{user['password']}")
            configuration.api_key["BearerToken"] = header["authorization"]
        elif isinstance(user.get("exec"), dict):
            _exec_auth(configuration, user_entry, user["exec"], cluster)
        elif isinstance(user.get("auth-provider"), dict):
            _legacy_auth_provider(configuration, context_name, cluster_entry, user_entry)
    # Each watch holds a connection; keep enough pooled for watches plus requests.
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, 32)
    return configuration


def load_kube_target(settings: KubeSettings) -> KubeTarget:
    """Load the kubeconfig into a fresh ApiClient. Blocking (files, exec plugins)."""
    from kubernetes import client as k8s

    paths = kubeconfig_paths(settings)
    if not paths:
        where = settings.kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
        raise InvalidConfig(
            f"no kubeconfig found at {where}",
            hint="point KUBECONFIG (or the `mirrord.kubeconfig` setting) at a kubeconfig file",
        )
    merged = _merge(paths)
    if not merged.files:
        raise InvalidConfig(
            f"the kubeconfig {paths[0]} is empty",
            hint="point KUBECONFIG (or the `mirrord.kubeconfig` setting) at a kubeconfig file",
        )
    context_name = settings.context or merged.current_context
    if not context_name:
        raise InvalidConfig(
            "the kubeconfig has no current context",
            hint="run `kubectl config use-context NAME` or set the `mirrord.context` setting",
        )
    context_entry = merged.contexts.get(context_name)
    if context_entry is None:
        raise InvalidConfig(
            f"context `{context_name}` not found in the kubeconfig",
            hint="check `kubectl config get-contexts` and the `mirrord.context` setting",
        )
    ctx = _section(context_entry, "context")
    cluster_name = str(ctx.get("cluster") or "")
    cluster_entry = merged.clusters.get(cluster_name)
    if cluster_entry is None:
        raise InvalidConfig(
            f"context `{context_name}` uses cluster `{cluster_name}`, which the kubeconfig "
            "does not define",
            hint=CHECK_KUBECONFIG_HINT,
        )
    user_name = str(ctx.get("user") or "")
    user_entry = merged.users.get(user_name) if user_name else None
    if user_name and user_entry is None:
        raise InvalidConfig(
            f"context `{context_name}` uses user `{user_name}`, which the kubeconfig "
            "does not define",
            hint=CHECK_KUBECONFIG_HINT,
        )
    try:
        configuration = _configure(context_name, cluster_entry, user_entry)
    except MirrordError:
        raise
    except Exception as error:  # noqa: BLE001 - the client's loader for legacy auth providers
        # Its messages name keys and files, never credential values.
        from kubernetes.config.config_exception import ConfigException

        detail = str(error) if isinstance(error, ConfigException) else type(error).__name__
        raise InvalidConfig(
            f"cannot load the kubeconfig: {detail[:300]}", hint=CHECK_KUBECONFIG_HINT
        ) from None
    namespace = str(ctx.get("namespace") or "default")
    return KubeTarget(
        context=str(context_name),
        namespace=namespace,
        server=str(configuration.host),
        api_client=k8s.ApiClient(configuration),
    )


@dataclass(frozen=True, slots=True)
class ContextIdentity:
    """Which cluster, as whom, without connecting: what cached listings are keyed by.
    Names and the server URL only, never a credential."""

    context: str
    server: str
    user: str
    namespace: str


def context_identity(
    settings: KubeSettings, environ: Mapping[str, str] | None = None
) -> ContextIdentity:
    """The kubeconfig's chosen context, its cluster's server, user and namespace, read
    from the files alone (no exec plugin runs); `environ` supplies `KUBECONFIG` (default:
    this process's). Raises `InvalidConfig` as `load_kube_target` would for a missing or
    broken kubeconfig."""
    paths = kubeconfig_paths(settings, environ)
    if not paths:
        raise InvalidConfig("no kubeconfig found")
    merged = _merge(paths)
    name = settings.context or merged.current_context
    entry = merged.contexts.get(name) if name else None
    if not name or entry is None:
        raise InvalidConfig("the kubeconfig has no usable context")
    ctx = _section(entry, "context")
    cluster = merged.clusters.get(str(ctx.get("cluster") or ""))
    server = str(_section(cluster, "cluster").get("server") or "") if cluster else ""
    return ContextIdentity(
        context=str(name),
        server=server,
        user=str(ctx.get("user") or ""),
        namespace=str(ctx.get("namespace") or "default"),
    )
