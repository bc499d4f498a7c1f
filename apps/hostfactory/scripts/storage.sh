#!/usr/bin/env bash
# Moves a provider instance's state between stores (run with the provider's HF environment):
#   storage.sh export -o state.jsonl     # from the configured store
#   storage.sh import -f state.jsonl     # into the configured store (after switching storage.type)
# The same as `hostfactory.sh storage ...`.
exec "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/invoke.sh" hostfactory storage "$@"
