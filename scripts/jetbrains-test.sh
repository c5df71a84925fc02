#!/usr/bin/env bash
# Builds and tests the JetBrains bridge core with offline Maven (every plugin version is pinned in
# the pom, so a pre-filled ~/.m2 is enough). The tests drive the real Python server against the
# simulated cluster, so the project's venv must exist (scripts/test.sh creates it).
#
#   bash scripts/jetbrains-test.sh
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

command -v mvn >/dev/null || { echo "mvn not found: apt-get install -y maven" >&2; exit 1; }
export MIRRORD_IDE_PYTHON="${MIRRORD_IDE_PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$MIRRORD_IDE_PYTHON" ] || { echo "no Python at $MIRRORD_IDE_PYTHON: run scripts/test.sh or set MIRRORD_IDE_PYTHON" >&2; exit 1; }
# The LSP4IJ template's command is `mirrord-ide serve`: make the venv's console script findable.
export PATH="$(dirname "$MIRRORD_IDE_PYTHON"):$PATH"

REPORTS=jetbrains-bridge/core/target/surefire-reports
rm -rf "$REPORTS"
timeout 600 mvn -o -q -B -f jetbrains-bridge/core/pom.xml test
status=$?

# -q hides Surefire's per-class lines; print them from the reports for CI and humans.
if compgen -G "$REPORTS/*.txt" >/dev/null; then
  grep -h "^Tests run:" "$REPORTS"/*.txt
fi
[ "$status" -eq 0 ] && echo "jetbrains core: all tests passed" || echo "jetbrains core: FAILED (exit $status)" >&2
exit "$status"
