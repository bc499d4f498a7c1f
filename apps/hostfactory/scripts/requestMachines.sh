#!/usr/bin/env bash
# Host Factory calls: requestMachines.sh -f <input-file>
# invoke.sh is read into this shell (no second bash, no subshell: each costs every call).
here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
. "$here/invoke.sh" requestMachines "$@"
