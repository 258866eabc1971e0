# shellcheck shell=bash
# Sourced by scripts/start and scripts/test: throwaway local services on free
# loopback ports, each stopped by PID when the script exits.

STARTED_PIDS=()
STATE_DIR=""

services_init() {
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/immutable-infra.XXXXXX")"
  # The PostgreSQL server runs as user postgres and must reach its directory.
  chmod 755 "$STATE_DIR"
  trap services_cleanup EXIT
  trap 'exit 130' INT TERM
}

services_cleanup() {
  local status=$?
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    # Each service runs in its own process group: stop the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$STATE_DIR" ] && rm -rf "$STATE_DIR"
  exit "$status"
}

# Runs a command in DIR in its own process group, remembering its PID.
# usage: run_service NAME LOGFILE DIR COMMAND...
run_service() {
  local name=$1 logfile=$2 dir=$3
  shift 3
  setsid sh -c 'cd "$0" && exec "$@"' "$dir" "$@" >"$logfile" 2>&1 &
  STARTED_PIDS+=("$!")
  log "$name started (pid $!, log $logfile)"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# usage: wait_for_url URL SECONDS [LOGFILE]
wait_for_url() {
  local url=$1 seconds=$2 logfile=${3:-}
  local deadline=$((SECONDS + seconds))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "timed out after ${seconds}s waiting for $url"
      [ -n "$logfile" ] && tail -n 40 "$logfile" >&2
      return 1
    fi
    sleep 1
  done
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    die "please install: $* (needs root: apt-get install $*)"
  fi
  log "installing $* from Debian's packages"
  if [ ! -f "$CACHE_DIR/.apt-updated" ]; then
    apt-get update -qq >&2 && touch "$CACHE_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
    die "apt-get install $* failed"
}

pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Starts a throwaway PostgreSQL cluster; sets PG_PORT, PG_MAJOR, PG_URL.
start_postgres() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$PG_BIN" ]; then
    apt_install postgresql
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  PG_MAJOR="$(basename "$(dirname "$PG_BIN")")"
  PG_DIR="$STATE_DIR/postgres"
  PG_PORT="$(free_port)"
  mkdir -p "$PG_DIR/data"
  [ "$(id -u)" = 0 ] && chown -R postgres "$PG_DIR"
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >"$STATE_DIR/initdb.log" 2>&1 ||
    { cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null ||
    { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT"
  log "PostgreSQL $PG_MAJOR on 127.0.0.1:$PG_PORT"
}

# Finds a Python with moto's server; sets MOTO_PYTHON or returns 1.
find_moto() {
  local py
  for py in ${MOTO_PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import moto.server, flask_cors' 2>/dev/null; then
      MOTO_PYTHON="$py"
      return 0
    fi
  done
  return 1
}

MOTO_HELP="moto (an EC2-compatible emulator) was not found. Install it with
  pip install 'moto[server]'          (any Python 3.9+), or
  apt-get install python3-moto        (Debian 13 or newer),
then run again; or set MOTO_PYTHON to a Python that has it."

# Starts moto's server (scripts/lib/emulator.py: moto plus instances launched
# in the past) on a free port; sets MOTO_PORT and MOTO_URL.
start_moto() {
  MOTO_PORT="${1:-$(free_port)}"
  MOTO_URL="http://127.0.0.1:$MOTO_PORT"
  run_service moto "$STATE_DIR/moto.log" "$STATE_DIR" env MOTO_EC2_LOAD_DEFAULT_AMIS=false \
    "$MOTO_PYTHON" "$ROOT/scripts/lib/emulator.py" -H 127.0.0.1 -p "$MOTO_PORT"
  wait_for_url "$MOTO_URL/moto-api/" 30 "$STATE_DIR/moto.log" || die "moto did not start"
  log "EC2 emulator (moto) on $MOTO_URL"
}

ensure_chromium() {
  CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$CHROMIUM_PATH" ]; then
    apt_install chromium
    CHROMIUM_PATH="$(command -v chromium)"
  fi
  export CHROMIUM_PATH
  log "browser: $("$CHROMIUM_PATH" --version 2>/dev/null | head -n 1)"
}
