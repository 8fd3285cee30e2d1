#!/usr/bin/env bash
# Runs a TypeScript entry point with the project's Node 22 (set up on first use).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/bootstrap.sh"
exec node "$@"
