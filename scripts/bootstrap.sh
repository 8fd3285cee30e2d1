#!/usr/bin/env bash
# Brings the project's own Node.js 22 and its npm dependencies onto this machine, once.
# Sourced by ./granary and scripts/test.sh; afterwards `node` on PATH is the project's Node 22.
set -euo pipefail
GRANARY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(cat "$GRANARY_ROOT/.node-version")"
NODE_HOME="$GRANARY_ROOT/.tools/node-$NODE_VERSION"

granary_log() { printf '[granary setup] %s\n' "$*" >&2; }

if [ ! -x "$NODE_HOME/bin/node" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) granary_log "unsupported CPU architecture $(uname -m)"; exit 1 ;;
  esac
  command -v npm >/dev/null || { granary_log "npm is needed once to fetch Node $NODE_VERSION; install npm (apt-get install npm) and retry"; exit 1; }
  granary_log "fetching Node.js $NODE_VERSION from the npm registry (package node-linux-$arch)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
  mkdir -p "$NODE_HOME.partial"
  tar xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$NODE_HOME.partial" --strip-components=1 package/bin package/LICENSE
  rm -rf "$tmp" "$NODE_HOME"
  mv "$NODE_HOME.partial" "$NODE_HOME"
fi
export PATH="$NODE_HOME/bin:$PATH"
# node:sqlite is stable enough for us but still flagged experimental in Node 22; keep logs clean.
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--disable-warning=ExperimentalWarning"

# npm itself runs on whatever Node the machine has; our dependencies are pure JavaScript.
stamp="$GRANARY_ROOT/node_modules/.granary-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$GRANARY_ROOT/package-lock.json" "$stamp"; then
  granary_log "installing npm dependencies"
  (cd "$GRANARY_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$GRANARY_ROOT/package-lock.json" "$stamp"
fi
