#!/usr/bin/env bash
# The operator's command line, with the provider instance's HF environment:
#   hostfactory.sh --help | --version | health | config show | requests list | reconcile ...
# Human tables on a terminal, one JSON document with --json (or when stdout is not a terminal).
# invoke.sh is read into this shell (no second bash, no subshell: each costs every call).
here="${BASH_SOURCE[0]%/*}"
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
. "$here/invoke.sh" hostfactory "$@"
