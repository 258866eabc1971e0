#!/usr/bin/env bash
# The production build, run as its container runs it (packages/backend/Dockerfile):
# builds the backend bundle (`yarn build:backend`: the backend, its plugins and
# the app it serves), installs the bundle's skeleton for production and
# unpacks the bundle as the image's last stage does, then starts two replicas
# with the image's command (`node packages/backend --config app-config.yaml
# --config app-config.production.yaml`, plus a test config) on one PostgreSQL
# and the EC2 emulator, and checks them with production-replicas.mjs: health,
# the app served, an authenticated route, each scheduled task once per period
# across both, a registration through one read through the other, and the
# survivor of a SIGKILL serving and running the tasks.
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

# Seconds between runs of each scheduled task in the test.
TASK_FREQUENCY=5

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

# The image's command, from the last CMD of the Dockerfile (JSON form).
image_command() {
  node -e '
    const text = require("fs").readFileSync(process.argv[1], "utf8");
    const cmds = [...text.matchAll(/^CMD\s+(\[.*\])\s*$/gm)];
    if (!cmds.length) { process.exit(1); }
    for (const word of JSON.parse(cmds[cmds.length - 1][1])) console.log(word);
  ' "$ROOT/packages/backend/Dockerfile"
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

# usage: replica_config FILE PORT
replica_config() {
  cat >"$1" <<YAML
backend:
  listen: 127.0.0.1:$2
YAML
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

  local command=()
  mapfile -t command < <(image_command)
  [ ${#command[@]} -gt 0 ] || die "no CMD [...] in packages/backend/Dockerfile"

  # What the test adds to the production config: its own database prefix,
  # a static token for its calls, one enrolled entity, the emulator, and
  # short schedules.
  local token prefix entity=replica-check
  token="$(node -p 'require("crypto").randomBytes(24).toString("hex")')"
  prefix="prodtest_$(node -p 'require("crypto").randomBytes(4).toString("hex")')_"
  mkdir -p "$STATE_DIR/catalog"
  cat >"$STATE_DIR/catalog/$entity.yaml" <<YAML
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: $entity
  annotations:
    immutable-infra.io/image-family: $entity
spec:
  type: service
  lifecycle: production
  owner: group:default/platform
YAML
  cat >"$STATE_DIR/app-config.test.yaml" <<YAML
backend:
  database:
    prefix: $prefix
  auth:
    externalAccess:
      - type: static
        options:
          token: \${PRODUCTION_TEST_TOKEN}
          subject: production-test
catalog:
  locations:
    - type: file
      target: $STATE_DIR/catalog/$entity.yaml
immutableInfra:
  aws:
    endpoint: $moto_url
    maxAttempts: 1
  # ISO strings: an object here would merge with the production config's.
  schedule:
    frequency: PT${TASK_FREQUENCY}S
    timeout: PT30S
  entityRefresh: PT${TASK_FREQUENCY}S
YAML

  local pg_host pg_port
  pg_host="$(node -p 'new URL(process.argv[1]).hostname' "$pg_url")"
  pg_port="$(node -p 'new URL(process.argv[1]).port || "5432"' "$pg_url")"
  local name port pids=() urls=() logs=()
  for name in a b; do
    port="$(free_port)"
    replica_config "$STATE_DIR/app-config.replica-$name.yaml" "$port"
    run_service "replica $name" "$STATE_DIR/replica-$name.log" "$image" \
      env NODE_ENV=production NODE_OPTIONS=--no-node-snapshot \
      APP_BASE_URL="http://127.0.0.1:$port" BACKEND_BASE_URL="http://127.0.0.1:$port" \
      POSTGRES_HOST="$pg_host" POSTGRES_PORT="$pg_port" POSTGRES_USER="$(node -p 'decodeURIComponent(new URL(process.argv[1]).username) || "postgres"' "$pg_url")" \
      POSTGRES_PASSWORD="$(node -p 'decodeURIComponent(new URL(process.argv[1]).password) || "unused"' "$pg_url")" \
      AWS_ACCESS_KEY_ID=immutable-infra-emulator AWS_SECRET_ACCESS_KEY=immutable-infra-emulator \
      PRODUCTION_TEST_TOKEN="$token" \
      "${command[@]}" --config "$STATE_DIR/app-config.test.yaml" --config "$STATE_DIR/app-config.replica-$name.yaml"
    # Killed on purpose later: no job notice from this shell.
    disown "${STARTED_PIDS[-1]}"
    pids+=("${STARTED_PIDS[-1]}")
    urls+=("http://127.0.0.1:$port")
    logs+=("$STATE_DIR/replica-$name.log")
    # One at a time, as a rolling deployment starts them: two backends
    # migrating an empty database at once race for the migration locks
    # (docs/operations.md).
    started=$SECONDS
    wait_ready "${urls[-1]}" "${pids[-1]}" "${logs[-1]}" 300 || return 1
    log "replica $name ready in $((SECONDS - started))s"
  done

  PRODUCTION_TEST_TOKEN="$token" \
    PRODUCTION_TEST_REPLICAS="$(printf '%s %s %s\n' "${urls[0]}" "${pids[0]}" "${logs[0]}" "${urls[1]}" "${pids[1]}" "${logs[1]}")" \
    PRODUCTION_TEST_TASKS_DB="${pg_url%/}/${prefix}immutable-infra" \
    PRODUCTION_TEST_EC2_ENDPOINT="$moto_url" \
    PRODUCTION_TEST_ENTITY="$entity" \
    PRODUCTION_TEST_FREQUENCY="$TASK_FREQUENCY" \
    node "$ROOT/scripts/lib/production-replicas.mjs"
}

main "$@"
