#!/usr/bin/env bash
# Host Factory calls: requestReturnMachines.sh -f <input-file>
exec "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/invoke.sh" requestReturnMachines "$@"
