"""The `mirrord-ide` command line: serve | ls | verify-config | demo-cluster.

Each subcommand lives in its own module and is imported only when used, so
`mirrord-ide serve` starts without loading the kubernetes client. Errors go to
stderr as `error: ...` and `hint: ...` with a non-zero exit code; no traceback
reaches the user.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Sequence

from mirrord_ide import __version__

KUBECONFIG_HELP = (
    "kubeconfig file (or a list separated like KUBECONFIG); default: MIRRORD_KUBECONFIG, "
    "the config's `kubeconfig`, then KUBECONFIG or ~/.kube/config"
)
CONTEXT_HELP = (
    "kube context to use; default: MIRRORD_KUBE_CONTEXT, the config's `kube_context`, "
    "then the kubeconfig's current context"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mirrord-ide",
        description="IDE backend for mirrord: language server, target listing, config checks.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the language server (stdio by default)",
        description="Run the language server on stdio (or TCP) for an editor.",
    )
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")

    ls = sub.add_parser(
        "ls",
        help="list the targets mirrord can impersonate",
        description="List the targets (pods, deployments, rollouts...) of a namespace, "
        "with whether each can be used and why not.",
    )
    ls.add_argument(
        "--namespace",
        "-n",
        metavar="NS",
        help="namespace to list; default: MIRRORD_TARGET_NAMESPACE, the config's "
        "target.namespace, then the context's namespace",
    )
    ls.add_argument(
        "--config",
        "-f",
        metavar="FILE",
        help="mirrord config to apply (its namespace, cluster and rules); must be valid",
    )
    ls.add_argument(
        "--all-namespaces", "-A", action="store_true", help="list targets in every namespace"
    )
    ls.add_argument(
        "--output",
        "-o",
        choices=("table", "wide", "name", "json", "yaml"),
        default="table",
        metavar="FORMAT",
        help="table (default), wide, name, json (the listTargets shape, one line) or yaml",
    )
    ls.add_argument("--kubeconfig", metavar="FILE", help=KUBECONFIG_HELP)
    ls.add_argument("--context", metavar="NAME", help=CONTEXT_HELP)

    verify = sub.add_parser(
        "verify-config",
        help="validate a mirrord config file",
        description="Validate a mirrord config as mirrord reads it; print each problem as "
        "FILE:LINE:COL: severity: message, then a summary.",
    )
    verify.add_argument("file", metavar="FILE", help="the config file (.json, .toml, .yaml)")
    verify.add_argument(
        "--cluster",
        action="store_true",
        help="also check that the target, container and namespace exist in the cluster",
    )
    verify.add_argument(
        "--strict",
        action="store_true",
        help="with --cluster: fail (exit 1) when the cluster could not be checked",
    )
    verify.add_argument(
        "--json",
        action="store_true",
        help='print the machine-readable result {"type","config","warnings","errors"}',
    )
    verify.add_argument("--kubeconfig", metavar="FILE", help=KUBECONFIG_HELP)
    verify.add_argument("--context", metavar="NAME", help=CONTEXT_HELP)

    demo_cluster = sub.add_parser(
        "demo-cluster",
        help="run the bundled simulated cluster",
        description="Run the simulated Kubernetes cluster used by the demo and the tests, "
        "and write a kubeconfig for it.",
    )
    demo_cluster.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: any free port)"
    )
    demo_cluster.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)"
    )
    demo_cluster.add_argument(
        "--kubeconfig", metavar="OUT", help="where to write the kubeconfig (default: a temp dir)"
    )
    demo_cluster.add_argument("--seed", metavar="FILE", help="seed YAML (default: the demo app)")
    demo_cluster.add_argument(
        "--user", default="admin", help="user written into the kubeconfig (default admin)"
    )
    demo_cluster.add_argument(
        "--agent-exec",
        metavar="CMD",
        help="run `CMD <agent args>` for each agent pod instead of the simulated agent",
    )
    demo_cluster.add_argument(
        "--traffic-interval",
        type=float,
        metavar="SECONDS",
        help="seconds between the requests the demo pods receive (0: none)",
    )

    return parser


def port_in_use(host: str, port: int) -> bool:
    """Whether `host:port` is already taken (binding it fails with EADDRINUSE)."""
    if port <= 0:
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


def _fail(message: str, hint: str | None = None, code: int = 1) -> int:
    sys.stderr.write(f"error: {message}\n")
    if hint:
        sys.stderr.write(f"hint: {hint}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - a message, never a traceback
        return _fail(
            f"{type(error).__name__}: {error}".splitlines()[0][:300],
            "this is a bug in mirrord-ide; please report it with the command you ran",
        )


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from mirrord_ide.lsp.server import run_server

        return run_server(tcp=args.tcp)
    if args.command == "ls":
        from mirrord_ide.commands.ls import run_ls

        return run_ls(
            namespace=args.namespace,
            config=args.config,
            all_namespaces=args.all_namespaces,
            output=args.output,
            kubeconfig=args.kubeconfig,
            context=args.context,
        )
    if args.command == "verify-config":
        from mirrord_ide.commands.verify_config import run_verify_config

        return run_verify_config(
            args.file,
            cluster=args.cluster,
            as_json=args.json,
            strict=args.strict,
            kubeconfig=args.kubeconfig,
            context=args.context,
        )
    if args.command == "demo-cluster":
        if not 0 <= args.port <= 65535:
            return _fail(f"--port {args.port} is not a port number", "use 0-65535", code=2)
        if port_in_use(args.host, args.port):
            return _fail(
                f"port {args.port} on {args.host} is already in use",
                "stop what listens there, or pick another --port (0 picks a free one)",
                code=2,
            )
        try:
            from mirrord_simcluster.cli import run_demo_cluster
        except ModuleNotFoundError as missing:
            # The simulated cluster is its own distribution (simcluster/ in the repository),
            # not a dependency of the server.
            top = (missing.name or "").split(".")[0]
            what = (
                "the simulated cluster (the mirrord-ide-simcluster distribution) is not installed"
                if top in ("", "mirrord_simcluster")
                else f"the simulated cluster needs the Python module {top!r}, which is missing"
            )
            return _fail(what, "from a mirrord-ide checkout run `pip install -e simcluster`")

        return run_demo_cluster(
            host=args.host,
            port=args.port,
            kubeconfig=args.kubeconfig,
            seed=args.seed,
            user=args.user,
            agent_exec=args.agent_exec,
            traffic_interval=args.traffic_interval,
        )
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
