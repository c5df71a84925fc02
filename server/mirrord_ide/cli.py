"""The `mirrord-ide` command line: serve | ls | verify-config | demo-cluster | demo.

Each subcommand lives in its own module and is imported only when used, so
`mirrord-ide serve` starts without loading the kubernetes client.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mirrord-ide",
        description="IDE backend for mirrord: language server, target listing, agent launch.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio")

    ls = sub.add_parser("ls", help="print the target list as JSON")
    ls.add_argument("--namespace", "-n")
    ls.add_argument("--config", "-f")
    ls.add_argument("--all-namespaces", "-A", action="store_true")

    verify = sub.add_parser("verify-config", help="validate a mirrord config file")
    verify.add_argument("file")
    verify.add_argument("--cluster", action="store_true", help="also check against the cluster")

    demo_cluster = sub.add_parser("demo-cluster", help="run the bundled simulated cluster")
    demo_cluster.add_argument("--port", type=int, default=0)
    demo_cluster.add_argument("--host", default="127.0.0.1")
    demo_cluster.add_argument("--kubeconfig", metavar="OUT")
    demo_cluster.add_argument("--seed", metavar="FILE", help="seed YAML (default: the demo app)")
    demo_cluster.add_argument("--user", default="admin", help="user written into the kubeconfig")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from mirrord_ide.lsp.server import run_server

        return run_server(tcp=args.tcp)
    if args.command == "ls":
        from mirrord_ide.commands.ls import run_ls

        return run_ls(
            namespace=args.namespace, config=args.config, all_namespaces=args.all_namespaces
        )
    if args.command == "verify-config":
        from mirrord_ide.commands.verify_config import run_verify_config

        return run_verify_config(args.file, cluster=args.cluster)
    if args.command == "demo-cluster":
        from mirrord_ide.simcluster.cli import run_demo_cluster

        return run_demo_cluster(
            host=args.host,
            port=args.port,
            kubeconfig=args.kubeconfig,
            seed=args.seed,
            user=args.user,
        )
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
