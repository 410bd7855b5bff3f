#!/usr/bin/env bash
# The extension's integration tests (test/extension/run-integration.ts: code-server, headless
# Chromium, the extension and its sidecar with the tiny chat model) inside isolate.sh: they must
# pass with no network but loopback, and nothing they start may try to reach off the machine.
#
#   test/hardening/isolated-extension-tests.sh [--log FILE]   (keeps the strace log)
#
# Everything that needs the network runs first, outside the namespace: the code-server/Chromium
# setup (cached), the build and the model fixture. Loopback is allowed on any port because
# code-server and the browser pick theirs at run time; anything else fails the run with exit 86,
# except attempts by the harness itself, which are listed: Chromium (its network service probes
# Google's public DNS and resolves names at start) and code-server's own server process. The
# extension host, Scout's sidecar and everything they start stay checked: those run as other
# programs ("bootstrap-fork --type=extensionHost", "dist/sidecar.js").
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/extension/setup-code-server.sh
npm run build
npx tsx -e "require('./test/fixtures/chat-model.ts').chatModelDir().then((d) => console.log('chat model:', d))"
exec test/hardening/isolate.sh --allow-loopback \
  --ignore-program '^/usr/lib/chromium/chromium ' \
  --ignore-program '^/proc/self/exe --type=(utility|renderer|gpu-process|zygote)' \
  --ignore-program 'code-server/lib/vscode/out/server-main\.js ' \
  "$@" -- npx tsx test/extension/run-integration.ts
