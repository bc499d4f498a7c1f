#!/usr/bin/env bash
# Moves a provider instance's state between stores (run with the provider's HF environment):
#   storage.sh export -o state.jsonl     # from the configured store
#   storage.sh import -f state.jsonl     # into the configured store (after switching storage.type)
# The same as `hostfactory.sh storage ...`.
# invoke.sh is read into this shell (no second bash, no subshell: each costs every call).
here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
. "$here/invoke.sh" hostfactory storage "$@"
