#!/usr/bin/env bash
# The production build, run as its container runs it (packages/backend/Dockerfile):
# builds the backend bundle (`yarn build:backend`: the backend, its plugins and
# the app it serves), installs the bundle's skeleton for production and
# unpacks the bundle as the image's last stage does, then starts two replicas
# with the image's command (`node packages/backend --config app-config.yaml
# --config app-config.production.yaml`, plus a test config) on one PostgreSQL
# and the EC2 emulator, and checks them: health, the app served, an
# authenticated route, each scheduled task once per period across both, a
# registration through one read through the other, and the survivor of a
# SIGKILL serving and running the tasks. What the replicas run with (configs,
# command lines) and the checks are production-replicas.mjs's; this script
# builds, installs and starts the processes.
#
# The production install (`yarn workspaces focus --all --production`, a few
# minutes) is kept in the cache under a key of what it depends on, as Docker
# keeps that layer; what differs from the container is listed in
# docs/operations.md.
#
# usage: scripts/lib/production-test.sh [POSTGRES_URL [EC2_ENDPOINT]]
#   POSTGRES_URL  postgresql://user@host:port of a server it may create databases on
#   EC2_ENDPOINT  a moto server (scripts/lib/emulator.py)
# Without them it starts a throwaway PostgreSQL cluster and moto server of its own.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"

# The production install of the bundle's skeleton: the Dockerfile's `yarn
# workspaces focus --all --production` layer. It is kept in the cache and
# brought up to date in place with this build's lockfile, root package.json,
# yarn release and skeleton, so that it takes seconds unless the dependencies
# changed (the first one takes minutes: it links every production dependency
# and builds better-sqlite3). An install that fails is redone from nothing
# once. Prints its directory.
production_install() {
  local skeleton=$1 dir="$CACHE_DIR/backend-production"
  (
    command -v flock >/dev/null && flock 9
    local started=$SECONDS attempt
    for attempt in 1 2; do
      [ -d "$dir/node_modules" ] ||
        log "installing the bundle's dependencies for production, once (yarn workspaces focus --all --production, in $dir)"
      mkdir -p "$dir/.yarn" || exit 1
      # This build's packages only: the last skeleton's package.json files go.
      find "$dir" -name node_modules -prune -o -name package.json -type f -exec rm -f {} +
      rm -rf "$dir/.yarn/releases"
      cp -R "$ROOT/.yarn/releases" "$dir/.yarn/" &&
        cp "$ROOT/.yarnrc.yml" "$ROOT/backstage.json" "$ROOT/yarn.lock" "$ROOT/package.json" "$dir/" &&
        tar -xzf "$skeleton" -C "$dir" || exit 1
      if (cd "$dir" && NODE_ENV=production yarn workspaces focus --all --production) >"$dir.log" 2>&1; then
        log "production install up to date in $((SECONDS - started))s"
        exit 0
      fi
      tail -n 30 "$dir.log" >&2
      log "the production install failed (log: $dir.log)"
      [ "$attempt" = 1 ] && log "installing again from nothing" && rm -rf "$dir"
    done
    exit 1
  ) 9>"$dir.lock" || return 1
  echo "$dir"
}

# Waits until the backend is ready (every plugin started), as an
# orchestrator's readiness probe does; fails early when it exits.
# usage: wait_ready URL PID LOGFILE SECONDS
wait_ready() {
  local url=$1/.backstage/health/v1/readiness pid=$2 logfile=$3
  local deadline=$((SECONDS + $4))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      log "not ready: $url"
      tail -n 40 "$logfile" >&2
      return 1
    fi
    sleep 1
  done
}

main() {
  local pg_url=${1:-} moto_url=${2:-}
  # Node 22, yarn and the dependencies: already there when scripts/test runs it.
  bootstrap
  services_init
  if [ -z "$pg_url" ]; then
    start_postgres
    pg_url=$PG_URL
  fi
  if [ -z "$moto_url" ]; then
    ensure_moto || die "$MOTO_HELP"
    start_moto "$(free_port)"
    moto_url=$MOTO_URL
  fi

  cd "$ROOT" || return 1
  local started=$SECONDS
  log "building the backend bundle (yarn build:backend)"
  yarn build:backend >"$STATE_DIR/build.log" 2>&1 || {
    tail -n 40 "$STATE_DIR/build.log" >&2
    log "yarn build:backend failed (log above)"
    return 1
  }
  log "backend bundle built in $((SECONDS - started))s"

  local dist="$ROOT/packages/backend/dist" install image="$STATE_DIR/image"
  install="$(production_install "$dist/skeleton.tar.gz")" || return 1
  # The image: the production install (hard links: tar replaces a file it
  # unpacks instead of writing into it, so the cache stays as installed),
  # the bundle unpacked over it, and the configs, as the Dockerfile's last stage.
  started=$SECONDS
  cp -al "$install" "$image" || cp -a "$install" "$image" || return 1
  tar -xzf "$dist/bundle.tar.gz" -C "$image" || return 1
  cp "$ROOT/app-config.yaml" "$ROOT/app-config.production.yaml" "$image/" || return 1
  log "image assembled in $STATE_DIR/image in $((SECONDS - started))s"

  # The replicas' configs and command lines.
  local replicas name url logfile argv_file argv pids=()
  replicas="$(node_ts "$ROOT/scripts/lib/production-replicas.mjs" prepare \
    "$STATE_DIR" "$pg_url" "$moto_url" "$ROOT/packages/backend/Dockerfile")" || return 1
  while read -r -u 3 name url logfile argv_file; do
    mapfile -t argv <"$argv_file"
    run_service "replica $name" "$logfile" "$image" "${argv[@]}"
    # Killed on purpose later: no job notice from this shell.
    disown "${STARTED_PIDS[-1]}"
    pids+=("${STARTED_PIDS[-1]}")
    # One at a time, as a rolling deployment starts them: two backends
    # migrating an empty database at once race for the migration locks
    # (docs/operations.md).
    started=$SECONDS
    wait_ready "$url" "${pids[-1]}" "$logfile" 300 || return 1
    log "replica $name ready in $((SECONDS - started))s"
  done 3<<<"$replicas"

  node_ts "$ROOT/scripts/lib/production-replicas.mjs" check "$STATE_DIR" "${pids[@]}"
}

main "$@"
