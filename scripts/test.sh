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
  trap 'end_run' EXIT
fi
# A test that timed out or crashed can leave what it started running (API servers, agents, ZooKeeper
# servers, systemd in its namespace). Everything a test starts inherits this run's directory in its
# environment; whatever still carries it when the run ends is ended here, and named, so the leak is seen.
end_run() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    pid="${environ#/proc/}"; pid="${pid%/environ}"
    [ "$pid" = "$$" ] && continue
    if grep -qzxF "GRANARY_TEST_RUN_DIR=$GRANARY_TEST_RUN_DIR" "$environ" 2>/dev/null; then
      echo "[granary test] left running by a test, killed: $pid $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$GRANARY_TEST_RUN_DIR"
}
# In CI (CI=true) a skipped test fails the run, unless a machine limit excused it (test/support/skip-reporter.ts).
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./test/support/skip-reporter.ts --test-reporter-destination=stderr \
  --test-timeout=600000 "${files[@]}"
