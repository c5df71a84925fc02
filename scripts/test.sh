#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine and runs every test:
# lint and types, the Python suite (unit, simulated cluster over HTTP, LSP over
# stdio, Neovim), the VS Code extension's unit tests and its workbench
# end-to-end test, and the JetBrains bridge core.
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh --no-e2e   # skip the VS Code workbench test
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUN_E2E=1
for arg in "$@"; do
  case "$arg" in
    --no-e2e) RUN_E2E=0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==== %s ====\n' "$*"; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

step "system packages"
missing=()
command -v nvim >/dev/null || missing+=(neovim)
command -v emacs >/dev/null || missing+=(emacs-nox)
dpkg -s elpa-eglot >/dev/null 2>&1 || missing+=(elpa-eglot)
command -v kubectl >/dev/null || missing+=(kubectl)
command -v mvn >/dev/null || missing+=(maven)
if [ "$RUN_E2E" = 1 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { echo "could not install ${missing[*]}" >&2; exit 1; }
fi

step "python environment"
PY=${PYTHON_FOR_VENV:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv || exit 1
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1
.venv/bin/python -m pip install -q -e ".[test]" -e ./simcluster 2>&1 | grep -v -e '^WARNING: Location' -e '^$' || true
.venv/bin/python -c "import mirrord_ide, mirrord_simcluster, pygls, kubernetes, tree_sitter" || { echo "python set-up failed" >&2; exit 1; }
export PATH="$ROOT/.venv/bin:$PATH"
export MIRRORD_IDE_PYTHON="$ROOT/.venv/bin/python"

declare -a RESULTS=()
FAILED=0
record() { # name, exit code
  if [ "$2" -eq 0 ]; then RESULTS+=("ok    $1"); else RESULTS+=("FAIL  $1"); FAILED=$((FAILED + 1)); fi
}

step "ruff"
.venv/bin/ruff check server simcluster tests bench \
  && .venv/bin/ruff format --check server simcluster tests bench
record "ruff (lint + format)" $?

step "mypy"
.venv/bin/mypy
record "mypy" $?

step "pytest"
mkdir -p artifacts
.venv/bin/pytest -q -p no:cacheprovider --junitxml=artifacts/pytest.xml
record "pytest" $?

if [ -f vscode-extension/package.json ]; then
  step "vscode extension: build, eslint and unit tests"
  (cd vscode-extension && npm ci --no-audit --no-fund --loglevel=error && npm run -s build)
  record "vscode build" $?
  (cd vscode-extension && npm run -s lint:setup && npm run -s lint)
  record "vscode eslint" $?
  (cd vscode-extension && npm test)
  record "vscode unit tests" $?
  if [ "$RUN_E2E" = 1 ]; then
    step "vscode workbench end-to-end"
    bash scripts/vscode-e2e.sh
    record "vscode workbench e2e" $?
  fi
fi

if [ -f scripts/jetbrains-test.sh ]; then
  step "jetbrains bridge core"
  bash scripts/jetbrains-test.sh
  record "jetbrains core" $?
fi

step "summary"
printf '%s\n' "${RESULTS[@]}"
TOTAL=${#RESULTS[@]}
echo "suites: $((TOTAL - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
