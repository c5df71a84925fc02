"""No shell is ever used to run anything: checked on the syntax tree of every
module of the server and of the simulated cluster, so a comment or a string
mentioning them does not count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "server").rglob("*.py"), *(ROOT / "simcluster").rglob("*.py")])
RUNNERS = {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
ASYNC_RUNNERS = {"create_subprocess_shell"}
BANNED_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execl"),
    ("os", "execlp"),
    ("os", "spawnl"),
    ("os", "spawnlp"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
    ("asyncio", "create_subprocess_shell"),
}


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def findings(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    # `import subprocess as sp`: calls through the alias count too.
    aliases = {
        alias.asname: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.asname
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "subprocess", "asyncio"):
            for alias in node.names:
                if (node.module, alias.name) in BANNED_CALLS:
                    found.append((node.lineno, f"imports {node.module}.{alias.name}"))
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func)
        module, _, func = name.rpartition(".")
        parts = (aliases.get(module, module), func)
        if parts in BANNED_CALLS or parts[1] in ASYNC_RUNNERS:
            found.append((node.lineno, f"calls {name}"))
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append((node.lineno, f"{name}(shell=...)"))
        if parts[0].endswith("subprocess") and parts[1] in RUNNERS and node.args:
            command = node.args[0]
            if isinstance(command, ast.Constant | ast.JoinedStr | ast.BinOp):
                found.append((node.lineno, f"{name} with a string command"))
    return found


def test_sources_found() -> None:
    assert len(SOURCES) > 20, f"no sources under {ROOT}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_shell(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert findings(tree) == []


@pytest.mark.parametrize(
    "code",
    [
        "import os\nos.system('ls')",
        "import os\nos.popen('ls')",
        "from os import system",
        "import subprocess\nsubprocess.run('ls -l', shell=True)",
        "import subprocess\nsubprocess.Popen(f'kubectl {x}')",
        "import subprocess as sp\nsp.check_output('ls')",
        "import asyncio\nasyncio.create_subprocess_shell('ls')",
        "import subprocess\nsubprocess.run(cmd, shell=flag)",
    ],
)
def test_the_check_catches(code: str) -> None:
    assert findings(ast.parse(code)) != []


def test_argument_lists_pass() -> None:
    code = "import subprocess\nsubprocess.run(['kubectl', 'get', name], shell=False, check=True)"
    assert findings(ast.parse(code)) == []
