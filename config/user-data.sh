#!/bin/bash
# Example user data: runs once on first boot of every machine of the template.
set -euo pipefail
echo "open-hostfactory machine booted at $(date -Is)" >> /var/log/hostfactory-boot.log
