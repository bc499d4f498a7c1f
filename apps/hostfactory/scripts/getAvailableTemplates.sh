#!/usr/bin/env bash
# Host Factory calls: getAvailableTemplates.sh -f <input-file>
exec "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/invoke.sh" getAvailableTemplates "$@"
