#!/usr/bin/env bash
# Host Factory calls: getAvailableTemplates.sh -f <input-file> (the input, {}, may be left out)
exec "$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/invoke.sh" getAvailableTemplates "$@"
