#!/usr/bin/env bash
# The consumer check: the four plugin packages, their metadata first checked to
# be what `backstage-cli repo fix --publish` writes, built and packed as they
# would be published, and installed into a minimal Backstage app that is not
# this repository's demo (fixtures/consumer-app: what @backstage/create-app
# 0.9.2 writes for Backstage 1.55, trimmed, with its own yarn.lock). Then, in
# that app: every import of the published code and types is a declared
# dependency, the app's own resolutions are unchanged and it has one copy of
# the frontend framework, a full type check (library types included), its
# backend starts and serves the plugin (health, and authenticated routes with a
# guest token), its frontend builds, and in Chromium an annotated entity shows
# the Immutability tab. scripts/test runs it; it also runs on its own.
#
# The app's dependencies are installed once into the cache
# (IMMUTABLE_INFRA_CACHE, consumer-app/; 2 minutes); later runs only replace
# the plugins. Measured on a 2-core machine: 5.5 minutes from a clean clone
# (packing 1.5, the app's install 2, type check 0.5, frontend build 0.7,
# backend start 20 s, browser 20 s); 8 minutes when the machine is busy with
# other test suites (packing 4, type check and frontend build about 1 each).
set -uo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pack.sh"

FIXTURE="$ROOT/fixtures/consumer-app"
APP_DIR="$CACHE_DIR/consumer-app"

timed() {
  local name=$1 started=$SECONDS
  shift
  "$@" || { log "consumer check: $name FAILED after $((SECONDS - started))s"; return 1; }
  log "consumer check: $name in $((SECONDS - started))s"
}

# The fixture, copied over the cached app (its node_modules and install state
# kept), with the tarballs where the app's resolutions point.
copy_fixture() {
  mkdir -p "$APP_DIR"
  find "$APP_DIR" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .yarn -exec rm -rf {} + &&
    cp -a "$FIXTURE/." "$APP_DIR/" &&
    mkdir -p "$APP_DIR/tarballs" &&
    cp "$STATE_DIR"/tarballs/*.tgz "$APP_DIR/tarballs/"
}

# The tarballs change every build, so their lockfile entries do: not immutable.
install_app() {
  (cd "$APP_DIR" && yarn install --no-immutable >"$STATE_DIR/consumer-install.log" 2>&1) ||
    { tail -n 40 "$STATE_DIR/consumer-install.log" >&2; return 1; }
}

check_installed() {
  node "$ROOT/scripts/lib/consumer-check.mjs" imports "$APP_DIR"/node_modules/@immutable-infra/* &&
    node "$ROOT/scripts/lib/consumer-check.mjs" lockfile "$FIXTURE/yarn.lock" "$APP_DIR/yarn.lock"
}

start_backend() {
  local port config
  port="$(free_port)"
  BACKEND_URL="http://localhost:$port"
  config="$STATE_DIR/consumer-app-config.yaml"
  cat >"$config" <<YAML
app:
  baseUrl: $BACKEND_URL
backend:
  baseUrl: $BACKEND_URL
  listen:
    port: $port
  cors:
    origin: $BACKEND_URL
YAML
  run_service consumer-backend "$STATE_DIR/consumer-backend.log" "$APP_DIR/packages/backend" \
    yarn backstage-cli package start --config ../../app-config.yaml --config "$config"
  wait_for_url "$BACKEND_URL/api/immutable-infra/health" 180 "$STATE_DIR/consumer-backend.log"
}

browser_test() {
  (cd "$APP_DIR" && PLAYWRIGHT_URL="$BACKEND_URL" yarn playwright test)
}

consumer_check() {
  local started=$SECONDS
  # One run at a time uses the cached app.
  exec 8>"$CACHE_DIR/consumer-app.lock"
  flock -w 1800 8 || { log "another consumer check holds $CACHE_DIR/consumer-app.lock"; return 1; }
  timed "package metadata as 'backstage-cli repo fix --publish' writes it" \
    bash -c "cd '$ROOT' && yarn backstage-cli repo fix --publish --check" &&
    timed "yarn tsc, build and pack the four packages" pack_plugins "$STATE_DIR/tarballs" &&
    timed "copy the app" copy_fixture &&
    timed "install the tarballs into the app" install_app &&
    timed "declared imports, one framework copy, lockfile" check_installed &&
    timed "full type check (yarn tsc:full)" bash -c "cd '$APP_DIR' && yarn tsc:full" &&
    timed "frontend build" bash -c "cd '$APP_DIR/packages/app' && yarn build >'$STATE_DIR/consumer-app-build.log' 2>&1 || { tail -n 40 '$STATE_DIR/consumer-app-build.log' >&2; exit 1; }" &&
    timed "backend start" start_backend &&
    timed "plugin routes" node "$ROOT/scripts/lib/consumer-check.mjs" routes "$BACKEND_URL" orders-api &&
    timed "browser (Playwright, Chromium)" browser_test
  local status=$?
  [ $status -eq 0 ] || { [ -f "$STATE_DIR/consumer-backend.log" ] && tail -n 30 "$STATE_DIR/consumer-backend.log" >&2; }
  log "consumer check $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started))s"
  return $status
}

bootstrap
services_init
ensure_chromium
consumer_check
