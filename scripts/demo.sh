#!/usr/bin/env bash
# The demo: sets everything up and opens the VS Code workbench (code-server) with the
# mirrord extension on examples/demo-workspace.
#
#   bash scripts/demo.sh                 # workbench; simulated cluster when none is configured
#   bash scripts/demo.sh --demo-cluster  # always use the simulated cluster
#   bash scripts/demo.sh --headless      # print the picker items and a verify-config result, exit
#   bash scripts/demo.sh --port 8080     # serve the workbench on this loopback port
#
# With no cluster configured (no KUBECONFIG and no ~/.kube/config) the simulated cluster
# is started with its demo seed (namespaces default, shop, payments).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WB_NAME=demo
source "$ROOT/vscode-extension/test/e2e/setup.sh"
source "$ROOT/vscode-extension/test/e2e/workbench.sh"

HEADLESS=0
FORCE_SIM=0
while [ $# -gt 0 ]; do
  case "$1" in
    --headless) HEADLESS=1 ;;
    --demo-cluster) FORCE_SIM=1 ;;
    --port) shift; WB_PORT=${1:?--port needs a number}; export WB_PORT ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

RUN=$(mktemp -d /tmp/mirrord-demo.XXXXXX)
cleanup() {
  wb_cleanup
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'echo; wb_log "stopping"; exit 0' INT TERM
die() { wb_log "ERROR: $*"; exit 1; }

WS=$ROOT/examples/demo-workspace
CONFIG=$WS/.mirrord/mirrord.json

wb_log "step 1/4: Python environment with the server"
PYTHON= wb_python "$ROOT" || die "could not set up $ROOT/.venv (needs Python 3.11+ with venv)"
wb_log "  using $WB_PYTHON"

wb_log "step 2/4: cluster"
if [ "$FORCE_SIM" = 1 ] || { [ -z "${KUBECONFIG:-}" ] && [ ! -f "$HOME/.kube/config" ]; }; then
  wb_start_cluster "$RUN" || die "the simulated cluster did not start (log above)"
  export KUBECONFIG=$WB_KUBECONFIG
  wb_log "  simulated cluster at $WB_CLUSTER_URL (demo seed: namespaces default, shop, payments)"
else
  WB_KUBECONFIG=""
  wb_log "  using your cluster: ${KUBECONFIG:-$HOME/.kube/config} (pass --demo-cluster for the simulated one)"
fi

if [ "$HEADLESS" = 1 ]; then
  wb_log "step 3/4: target picker items (mirrord-ide ls --all-namespaces)"
  if ! "$WB_PYTHON" -m mirrord_ide ls --all-namespaces -o json >"$RUN/ls.json" 2>"$RUN/ls.err"; then
    cat "$RUN/ls.json" "$RUN/ls.err" >&2
    die "listing targets failed"
  fi
  "$WB_PYTHON" - "$RUN/ls.json" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
titles = {"deployment": "Deployments", "rollout": "Rollouts", "statefulset": "StatefulSets",
          "cronjob": "CronJobs", "job": "Jobs", "pod": "Pods"}
current = None
for t in data["targets"]:
    if t["kind"] != current:
        current = t["kind"]
        print(f"  ── {titles.get(current, current)}")
    extra = [t["namespace"]]
    if t.get("container"):
        extra.append(f"container {t['container']}")
    if not t.get("available", True):
        extra.append(f"unavailable: {t.get('reason') or 'not ready'}")
    print(f"     {t['path']:<48} {' · '.join(extra)}")
print("  ── Other")
print('     No Target ("targetless")')
PY
  wb_log "step 4/4: verify-config --cluster $CONFIG"
  "$WB_PYTHON" -m mirrord_ide verify-config --cluster --json "$CONFIG" >"$RUN/verify.json" 2>"$RUN/verify.err"
  rc=$?
  "$WB_PYTHON" - "$RUN/verify.json" <<'PY' || { cat "$RUN/verify.json" "$RUN/verify.err" >&2; die "verify-config gave no result"; }
import json, sys
r = json.load(open(sys.argv[1]))
print(f"  result: {r['type']}")
for kind in ("errors", "warnings"):
    for p in r.get(kind) or []:
        pos = p.get("range", {}).get("start", {})
        print(f"  {kind[:-1]}: {p.get('message')} ({p.get('path')}, line {pos.get('line', 0) + 1})")
PY
  [ $rc -le 1 ] || die "verify-config failed (exit $rc)"
  wb_log "done"
  exit 0
fi

wb_log "step 3/4: workbench (code-server, Node 24) and the extension"
E2E_SKIP_CHROMIUM=1 e2e_setup "$ROOT" || die "installing code-server failed (log above)"
wb_build_vsix "$ROOT" "$RUN/mirrord-ide.vsix" || die "building the extension failed (log above)"

wb_log "step 4/4: starting the workbench"
wb_start_code_server "$RUN" "$WS" "$RUN/mirrord-ide.vsix" || die "code-server did not start (log above)"
echo
echo "  Open $WB_URL"
echo
echo "  Then: F5 (\"Run app\") → pick a greeter pod → the Debug Console shows the pod's GREETING,"
echo "  the variables only its container image sets, and a line per request mirrored from the"
echo "  cluster (the simulated cluster sends the greeter pods a request every few seconds)."
echo "  The status bar names the target and the engine (mirrord.engine: auto uses a mirrord CLI"
echo "  when one is found, else the built-in engine)."
echo "  Command palette: \"mirrord: Select Target\", \"mirrord: Change Namespace\", \"mirrord: Show Server Log\"."
echo "  Ctrl+C stops the workbench and the cluster."
while kill -0 "${WB_PIDS[-1]}" 2>/dev/null; do sleep 1; done
wb_log "code-server exited; see $RUN/code-server.log"
