#!/usr/bin/env bash
# Host Factory calls: getRequestStatus.sh -f <input-file>
exec "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/invoke.sh" getRequestStatus "$@"
