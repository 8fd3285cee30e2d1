#!/usr/bin/env bash
# The one command that runs every test on a fresh machine: `npm test`.
# It brings Node 22 and the npm dependencies, installs the Debian packages the end-to-end tests use
# (when run as root), typechecks, then runs node's test runner over unit and end-to-end tests.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/bootstrap.sh"
cd "$GRANARY_ROOT"
bash scripts/test-deps.sh
echo "[granary test] typecheck" >&2
node_modules/.bin/tsc -p tsconfig.json
echo "[granary test] node --test" >&2
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(find src test examples -name '*.test.ts' 2>/dev/null | sort)
fi
# Slow artifacts (images, packages, root filesystems) are built once per run and shared by the
# test files that need them (test/support/run-artifacts.ts); they are removed when the run ends.
if [ -z "${GRANARY_TEST_RUN_DIR:-}" ]; then
  GRANARY_TEST_RUN_DIR="$(mktemp -d "${TMPDIR:-/var/tmp}/granary-test-run.XXXXXX")"
  export GRANARY_TEST_RUN_DIR
  trap 'rm -rf "$GRANARY_TEST_RUN_DIR"' EXIT
fi
# In CI (CI=true) a skipped test fails the run, unless a machine limit excused it (test/support/skip-reporter.ts).
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./test/support/skip-reporter.ts --test-reporter-destination=stderr \
  --test-timeout=600000 "${files[@]}"
