#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real workbench: code-server (Node 24
# from npm) with the packaged .vsix, driven by Debian's Chromium through
# playwright-core, against the simulated cluster. Installs what it needs into
# .cache/e2e (reused), saves screenshots to artifacts/e2e, prints "N passed, N failed".
#
#   bash scripts/vscode-e2e.sh          # PYTHON=/path/to/python to use another server env
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WB_NAME=e2e
source "$ROOT/vscode-extension/test/e2e/setup.sh"
source "$ROOT/vscode-extension/test/e2e/workbench.sh"

RUN=$(mktemp -d /tmp/mirrord-e2e.XXXXXX)
SHOTS=$ROOT/artifacts/e2e
cleanup() {
  wb_cleanup
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { wb_log "$*"; echo "0 passed, 1 failed"; exit 1; }

e2e_setup "$ROOT" || fail "set-up failed"
wb_python "$ROOT" || fail "no Python environment with the server"
wb_build_vsix "$ROOT" "$RUN/mirrord-ide.vsix" || fail "building the .vsix failed"
wb_start_cluster "$RUN" || fail "the simulated cluster did not start"
wb_log "simulated cluster at $WB_CLUSTER_URL"
cp -r "$ROOT/examples/demo-workspace" "$RUN/ws"
rm -rf "$RUN/ws/out"
# Sessions start with the built-in engine; the CLI-engine step switches to the fake CLI.
cat >"$RUN/ws/.vscode/settings.json" <<JSON
{
  "mirrord.enabled": true,
  "mirrord.engine": "builtin",
  "remote.autoForwardPorts": false
}
JSON
# A variable the workbench (and so every debuggee) inherits: the CLI step's env_to_unset removes it.
export E2E_INHERITED=from-the-workbench
wb_start_code_server "$RUN" "$RUN/ws" "$RUN/mirrord-ide.vsix" || fail "code-server did not start"
wb_log "workbench at $WB_URL"

rm -rf "$SHOTS" && mkdir -p "$SHOTS"
NODE_PATH=$PLAYWRIGHT_DIR/node_modules CS_URL=$WB_URL SHOTS=$SHOTS WORKSPACE=$RUN/ws LOGS=$RUN/data/logs \
  FAKE_MIRRORD=$ROOT/tests/fakes/mirrord IMAGE_ENV="$(wb_image_env greeter)" INHERITED_ENV="E2E_INHERITED=$E2E_INHERITED" \
  KUBECONFIG_FILE=$WB_KUBECONFIG \
  timeout 600 node "$ROOT/vscode-extension/test/e2e/run.js"
rc=$?
if [ $rc -ne 0 ]; then
  mkdir -p "$SHOTS/logs"
  cp "$RUN"/*.log "$SHOTS/logs/" 2>/dev/null
  find "$RUN/data/logs" -name '*.log' -path '*exthost*' -exec cp {} "$SHOTS/logs/" \; 2>/dev/null
  find "$RUN/data/logs" -name '*mirrord*.log' -exec cp {} "$SHOTS/logs/" \; 2>/dev/null
  wb_log "logs copied to $SHOTS/logs"
fi
exit $rc
