#!/usr/bin/env bash
# The one test command (README, .ci/run): set up, type-check and lint every project, run every
# unit test, then every integration test.
# Integration tests start their own moto_server on a free loopback port unless MOTO_ENDPOINT
# names one; they never reach a non-loopback address.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
# Never let a developer's real AWS settings leak into tests.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

command -v moto_server >/dev/null 2>&1 || {
  echo 'moto_server not found: pip install "moto[server]" (the integration tests need it)' >&2
  exit 1
}

# Real parts from Debian the tests start on loopback: tinyproxy (proxy tests), promtool and
# prometheus-pushgateway (metrics tests).
missing=()
[ -x /usr/bin/tinyproxy ] || command -v tinyproxy >/dev/null 2>&1 || missing+=(tinyproxy)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing from Debian's packages: ${missing[*]}" >&2
    apt-get update && apt-get install -y "${missing[@]}"
  else
    echo "missing Debian packages the tests need: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

node tools/setup.mjs
summary_dir="$(pwd)/tmp/test-summary"
rm -rf "$summary_dir" && mkdir -p "$summary_dir"
export JEST_SUMMARY_DIR="$summary_dir"

started=$(date +%s)
npx nx run-many -t typecheck --output-style=stream --skip-nx-cache
# ESLint (module boundaries on the Nx tags, typescript-eslint) and Prettier, after typecheck has
# computed Nx's project graph, which the boundary rule reads.
npm run lint --silent
status=0
# Unit tests (no network, seconds), then integration tests (moto_server, the real scripts, real proxies).
npx nx run-many -t test --output-style=stream --parallel=1 --skip-nx-cache -- --ci "$@" || status=$?
npx nx run-many -t integration --output-style=stream --parallel=1 --skip-nx-cache -- --ci "$@" || status=$?
node tools/jest/print-summary.mjs "$summary_dir" "$(( $(date +%s) - started ))"
exit $status
