"""`mirrord-ide demo-cluster`: run the simulated cluster until SIGINT/SIGTERM."""

from __future__ import annotations

import errno
import json
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from mirrord_simcluster.seed import SeedError
from mirrord_simcluster.state import build_state
from mirrord_simcluster.testing import SimCluster


def _error(kind: str, message: str) -> None:
    print(json.dumps({"error": {"kind": kind, "message": message}}))


def run_demo_cluster(
    host: str,
    port: int,
    kubeconfig: str | None,
    seed: str | None,
    user: str,
    agent_exec: str | None = None,
    traffic_interval: float | None = None,
) -> int:
    """Serve until SIGINT/SIGTERM. `agent_exec`: a command run for each agent pod (with the
    agent container's args) in place of the simulated agent; `traffic_interval`: seconds
    between the seed's traffic requests (0: none)."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            json.dumps(
                {
                    "error": {
                        "kind": "invalid-config",
                        "message": f"the simulated cluster listens on loopback only, not {host}",
                    }
                }
            )
        )
        return 2
    options: dict[str, object] = {}
    if agent_exec is not None:
        try:
            words = shlex.split(agent_exec)
        except ValueError as exc:
            _error("invalid-config", f"--agent-exec {agent_exec!r}: {exc}")
            return 2
        if not words or shutil.which(words[0]) is None:
            _error("invalid-config", f"--agent-exec: no executable {words[0] if words else ''!r}")
            return 2
        options["agent_exec"] = agent_exec
    if traffic_interval is not None:
        if traffic_interval < 0:
            _error("invalid-config", "--traffic-interval must be 0 or more seconds")
            return 2
        options["traffic_interval"] = traffic_interval
    try:
        state = build_state(Path(seed) if seed else None, **options)
    except (SeedError, ValueError) as exc:
        _error("invalid-config", str(exc))
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="mirrord-demo-cluster-"))
    try:
        cluster = SimCluster(state, host, port, workdir=workdir)
    except OSError as exc:
        in_use = exc.errno == errno.EADDRINUSE
        message = (
            f"port {port} on {host} is already in use"
            if in_use
            else f"cannot listen on {host}:{port}: {exc.strerror}"
        )
        kind = "conflict" if in_use else "unreachable"
        print(json.dumps({"error": {"kind": kind, "message": message}}))
        return 2 if in_use else 1
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            token = cluster.token_for(user)
        except KeyError as exc:
            print(json.dumps({"error": {"kind": "invalid-config", "message": exc.args[0]}}))
            return 2
        from mirrord_simcluster.kubeconfig import write_kubeconfig

        target = Path(kubeconfig) if kubeconfig else workdir / "kubeconfig.yaml"
        write_kubeconfig(
            target, cluster.url, user, token, cluster.default_namespace, cluster.ca_pem
        )
        print(json.dumps({"url": cluster.url, "kubeconfig": str(target)}), flush=True)
        print(
            f"Simulated cluster at {cluster.url} (user {user}).\n"
            f"  export KUBECONFIG={target}\n"
            f"  kubectl get pods -A\n"
            "Stop with Ctrl-C.",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
