#!/usr/bin/env bash
# Runs one Host Factory call through the open-hostfactory command line:
#   invoke.sh <command> -f <input-file>
# Finds the bundle next to these scripts (../dist/main.mjs) unless OPEN_HOSTFACTORY_HOME says
# where the installation is, and the node binary on PATH unless OPEN_HOSTFACTORY_NODE names one.
# stdout carries exactly the JSON answer; the exit status is the command's.
set -u
# Run directly or read in by the call scripts. Paths by parameter expansion: no subshell, no dirname.
here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
home="${OPEN_HOSTFACTORY_HOME:-$here/..}"
node_bin="${OPEN_HOSTFACTORY_NODE:-node}"
main="$home/dist/main.mjs"

fail() {
  local message="$1"
  message="${message//\\/\\\\}"
  message="${message//\"/\\\"}"
  printf '{"message": "%s", "error": {"code": "CONFIG_INVALID", "message": "%s", "details": {}}}\n' "$message" "$message"
  exit 3
}

command -v "$node_bin" >/dev/null 2>&1 || fail "Node.js not found ('$node_bin'); install Node.js >= 20 or set OPEN_HOSTFACTORY_NODE"
[ -f "$main" ] || fail "open-hostfactory is not built: $main is missing (run 'npm run build' in the repository)"

export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
exec "$node_bin" "$main" "$@"
