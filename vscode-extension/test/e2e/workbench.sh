#!/usr/bin/env bash
# Shared by scripts/vscode-e2e.sh and scripts/demo.sh: builds the .vsix, starts the
# simulated cluster and code-server with the extension on a copy of a workspace.
# Source it after setup.sh; call wb_cleanup on exit (it kills only what it started).

WB_PIDS=()

wb_log() { printf '[%s] %s\n' "${WB_NAME:-workbench}" "$*"; }

# Each background process leads its own process group (setsid), so its helpers
# (code-server's file watcher, extension host, language server) go with it.
wb_cleanup() {
  local pid
  for pid in "${WB_PIDS[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
  done
  for pid in "${WB_PIDS[@]}"; do
    # give each group a few seconds to exit cleanly, then force it
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -9 -- "-$pid" 2>/dev/null
  done
  WB_PIDS=()
}

wb_free_port() {
  "$WB_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Uses $PYTHON when given, else <repo>/.venv (created with the server and the simulated cluster
# installed).
wb_python() {
  local root=$1
  if [ -n "${PYTHON:-}" ]; then
    WB_PYTHON=$PYTHON
  else
    WB_PYTHON=$root/.venv/bin/python
    if [ ! -x "$WB_PYTHON" ]; then
      wb_log "creating $root/.venv"
      python3 -m venv "$root/.venv" || { wb_log "python3 -m venv failed (install python3-venv)"; return 1; }
    fi
    if ! "$WB_PYTHON" -c 'import mirrord_ide, mirrord_simcluster' 2>/dev/null; then
      wb_log "pip install -e $root -e $root/simcluster"
      "$WB_PYTHON" -m pip install -q -e "$root" -e "$root/simcluster" || { wb_log "pip install failed"; return 1; }
    fi
  fi
  "$WB_PYTHON" -c 'import mirrord_ide' 2>/dev/null || { wb_log "$WB_PYTHON cannot import mirrord_ide"; return 1; }
  "$WB_PYTHON" -c 'import mirrord_simcluster' 2>/dev/null \
    || { wb_log "$WB_PYTHON cannot import mirrord_simcluster (pip install -e $root/simcluster)"; return 1; }
  export WB_PYTHON
}

wb_build_vsix() { # root, out.vsix
  local ext=$1/vscode-extension
  if [ ! -d "$ext/node_modules" ] || [ "$ext/package-lock.json" -nt "$ext/node_modules/.package-lock.json" ]; then
    wb_log "npm ci (extension dependencies)"
    (cd "$ext" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  wb_log "building the extension and packaging the .vsix"
  (cd "$ext" && PYTHON=$WB_PYTHON npm run -s package >"$2.log" 2>&1) || { tail -20 "$2.log"; return 1; }
  cp "$ext/mirrord-ide.vsix" "$2"
}

# NAME=VALUE of the first variable that only the container image of deployment $1 sets
# in the simulated cluster's demo seed (visible through the agent, not the API).
wb_image_env() {
  "$WB_PYTHON" - "$1" <<'PY'
import sys
from importlib import resources

import yaml

seed = yaml.safe_load(resources.files("mirrord_simcluster").joinpath("demo_seed.yaml").read_text())
for ns in seed.get("namespaces") or []:
    for dep in ns.get("deployments") or []:
        if dep.get("name") != sys.argv[1]:
            continue
        for container in dep.get("containers") or []:
            image_env = container.get("imageEnv") or container.get("image_env") or {}
            for name, value in image_env.items():
                print(f"{name}={value}")
                sys.exit(0)
sys.exit(f"the demo seed has no image env for deployment {sys.argv[1]}")
PY
}

wb_start_cluster() { # run dir → sets WB_KUBECONFIG, WB_CLUSTER_URL
  local run=$1 port
  port=$(wb_free_port)
  setsid "$WB_PYTHON" -m mirrord_ide demo-cluster --port "$port" --kubeconfig "$run/kubeconfig" >"$run/cluster.out" 2>"$run/cluster.log" &
  WB_PIDS+=($!)
  for _ in $(seq 100); do
    if grep -q '"url"' "$run/cluster.out" 2>/dev/null; then break; fi
    if ! kill -0 "${WB_PIDS[-1]}" 2>/dev/null; then
      wb_log "the simulated cluster exited:"; cat "$run/cluster.out" "$run/cluster.log" | tail -20; return 1
    fi
    sleep 0.2
  done
  grep -q '"url"' "$run/cluster.out" || { wb_log "the simulated cluster did not start in 20 s"; tail -20 "$run/cluster.log"; return 1; }
  WB_KUBECONFIG=$run/kubeconfig
  WB_CLUSTER_URL=$("$WB_PYTHON" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$run/cluster.out")
  export WB_KUBECONFIG WB_CLUSTER_URL
}

wb_start_code_server() { # run dir, workspace dir, vsix → sets WB_URL
  local run=$1 ws=$2 vsix=$3 port
  mkdir -p "$run/data/User" "$run/data/Machine" "$run/exts" "$run/xdg-data" "$run/xdg-config"
  # Machine-scoped settings (the server's interpreter) live in the remote machine's settings.
  cat >"$run/data/Machine/settings.json" <<JSON
{
  "mirrord.server.python": "$WB_PYTHON"
}
JSON
  cat >"$run/data/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "workbench.reduceMotion": "on",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "workbench.tips.enabled": false,
  "mirrord.server.python": "$WB_PYTHON",
  "mirrord.kubeconfig": "$WB_KUBECONFIG"
}
JSON
  # code-server writes its config and logs under XDG dirs: keep them out of HOME.
  export XDG_DATA_HOME=$run/xdg-data XDG_CONFIG_HOME=$run/xdg-config
  PATH="$NODE24_BIN:$PATH" "$CODE_SERVER" --user-data-dir "$run/data" --extensions-dir "$run/exts" \
    --install-extension "$vsix" >"$run/install.log" 2>&1 ||
    { wb_log "installing the .vsix failed:"; tail -c 1500 "$run/install.log"; echo; return 1; }
  port=${WB_PORT:-$(wb_free_port)}
  printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$run/config.yaml"
  PATH="$NODE24_BIN:$PATH" setsid "$CODE_SERVER" --config "$run/config.yaml" --disable-telemetry --disable-update-check \
    --disable-workspace-trust --user-data-dir "$run/data" --extensions-dir "$run/exts" "$ws" >"$run/code-server.log" 2>&1 &
  WB_PIDS+=($!)
  for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "${WB_PIDS[-1]}" 2>/dev/null || { wb_log "code-server exited:"; tail -c 1500 "$run/code-server.log"; return 1; }
    sleep 0.5
  done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 || { wb_log "code-server did not answer in 60 s"; tail -c 1500 "$run/code-server.log"; return 1; }
  WB_URL="http://127.0.0.1:$port/?folder=$ws"
  export WB_URL
}
