"""Emacs with Eglot runs the real server headless: completion after a partly
typed quoted key or value offers the matching items, and completing a unique
prefix applies the server's edit.

Eglot matches the symbol at point (`ne`, never the quote before it) against
each item's filterText, where VS Code and Neovim match the text from the
edit's start to the cursor; the server must satisfy both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.editor, pytest.mark.slow, pytest.mark.timeout(180)]

EMACS = shutil.which("emacs")
SCRIPT = Path(__file__).with_name("eglot_client.el")
# Where Debian's `elpa-eglot` puts the package (Emacs 28 has no Eglot of its own).
DEBIAN_ELPA = Path("/usr/share/emacs/site-lisp/elpa")


def eglot_available() -> bool:
    if EMACS is None:
        return False
    if any(DEBIAN_ELPA.glob("eglot-*")):
        return True
    probe = subprocess.run(
        [EMACS, "--batch", "-Q", "--eval", "(progn (package-initialize) (require 'eglot))"],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


def run_eglot(tmp_path: Path) -> dict[str, Any]:
    docs = tmp_path / "docs"
    docs.mkdir()
    out = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRRORD_")}
    env.update(
        MIRRORD_TEST_PYTHON=sys.executable,
        MIRRORD_TEST_DIR=str(docs),
        MIRRORD_TEST_OUT=str(out),
        KUBECONFIG=str(tmp_path / "no-kubeconfig"),
        HOME=str(tmp_path),
    )
    assert EMACS is not None
    proc = subprocess.run(
        [EMACS, "--batch", "-Q", "-l", str(SCRIPT)],
        env=env,
        cwd=docs,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=150,
    )
    assert out.exists(), f"emacs wrote no result (rc={proc.returncode}): {proc.stderr[-2000:]!r}"
    result: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in result, (result, proc.stderr[-2000:])
    return result


@pytest.mark.skipif(
    not eglot_available(), reason="emacs with eglot is not installed (Debian emacs-nox elpa-eglot)"
)
def test_eglot_completes_partly_typed_quoted_keys_and_values(tmp_path: Path) -> None:
    result = run_eglot(tmp_path)

    key = result["key"]
    assert key["probe"] == "ne"
    # Eglot's own filter (filterText against the symbol at point) keeps exactly
    # the keys of `feature` that start with what was typed.
    assert key["table"] == ["network"], result
    assert "network" in key["candidates"]

    value = result["value"]
    assert value["probe"] == "st"
    assert value["table"] == ["steal"], result

    # `"oper` completed through Eglot's exit function and the server's text edit:
    # one pair of quotes, the value snippet in place, valid JSON.
    completed = result["completed"]
    assert '"operator": ' in completed and '""operator' not in completed, completed
    assert json.loads(completed) == {"target": "targetless", "operator": True}
