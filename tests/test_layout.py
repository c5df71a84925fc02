"""The shape of the two Python distributions: the server (`mirrord_ide`) and the simulated
cluster (`mirrord_simcluster`).

- No import cycle inside either package, counting imports inside functions too (only
  `if TYPE_CHECKING:` blocks are left out: they never run).
- The server never imports the simulated cluster or what only the cluster needs, except the
  one lazy import behind `mirrord-ide demo-cluster`.
- Without the simulated cluster installed, `mirrord-ide demo-cluster` says how to install it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "mirrord_ide": ROOT / "server" / "mirrord_ide",
    "mirrord_simcluster": ROOT / "simcluster" / "mirrord_simcluster",
}
CLUSTER_ONLY = {"mirrord_simcluster", "aiohttp", "cryptography"}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package `__init__`)."""
    found: dict[str, tuple[Path, bool]] = {}
    for root in PACKAGES.values():
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root.parent).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join(parts)] = (path, is_package)
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, is_package: bool, known: set[str]) -> set[str]:
    """Every module `name` imports at run time (its own or another distribution's)."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for rest in child.orelse:
                    visit(rest)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join([*parts, base] if base else parts)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.add(full if full in known else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, pkg, known) for name, (path, pkg) in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start] & graph.keys())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt] & graph.keys()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_both_packages_are_found() -> None:
    graph = _graph()
    assert "mirrord_ide.document.tree" in graph
    assert "mirrord_simcluster.server" in graph
    assert "mirrord_simcluster.subresources" in graph["mirrord_simcluster.server"]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_server_does_not_import_the_simulated_cluster() -> None:
    graph = _graph()
    offending = {
        (name, target)
        for name, targets in graph.items()
        if name.split(".")[0] == "mirrord_ide"
        for target in targets
        if target.split(".")[0] in CLUSTER_ONLY
    }
    # `mirrord-ide demo-cluster` imports the cluster lazily, and only when it runs.
    assert offending == {("mirrord_ide.cli", "mirrord_simcluster.cli")}


def _demo_cluster_without(module: str) -> subprocess.CompletedProcess[str]:
    script = (
        "import sys\n"
        f"sys.modules[{module!r}] = None\n"
        "from mirrord_ide.cli import main\n"
        "sys.exit(main(['demo-cluster', '--port', '0']))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_demo_cluster_without_the_distribution_says_how_to_install_it() -> None:
    done = _demo_cluster_without("mirrord_simcluster")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "mirrord-ide-simcluster distribution) is not installed" in done.stderr
    assert "pip install -e simcluster" in done.stderr


def test_demo_cluster_without_a_dependency_of_the_cluster_names_it() -> None:
    done = _demo_cluster_without("aiohttp")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "'aiohttp'" in done.stderr
    assert "pip install -e simcluster" in done.stderr
