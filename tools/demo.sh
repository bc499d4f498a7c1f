#!/usr/bin/env bash
# The demo (README): installs and builds if needed, then runs a whole Host Factory lifecycle
# through the real scripts on the embedded default (SQLite storage) against a moto_server it
# starts on loopback, unless AWS_ENDPOINT_URL names an endpoint. Prints every call and answer.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
node tools/setup.mjs
if [ -z "${AWS_ENDPOINT_URL:-}" ] && ! command -v moto_server >/dev/null 2>&1; then
  echo 'moto_server not found: pip install "moto[server]" (the demo runs against this local AWS emulator)' >&2
  exit 1
fi
exec node tools/hf/simulator.js "$@"
