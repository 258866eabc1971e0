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

# moto: the EC2 emulator of the demo and the tests. It needs moto 5.2 or newer
# (5.1 lacks ModifyLaunchTemplate) with its server's Flask and flask-cors. A
# Python that has them is used as it is; otherwise ensure_moto installs them
# into the cache, once: from PyPI into a virtual environment when PyPI answers,
# else Debian's python3-moto and its dependencies, unpacked for Debian's own
# /usr/bin/python3 (no root needed, nothing installed on the system).
MOTO_CHECK='import re, moto, moto.server, flask_cors
assert tuple(map(int, re.match(r"(\d+)\.(\d+)", moto.__version__).groups())) >= (5, 2)
print(moto.__version__)'
MOTO_VENV="$CACHE_DIR/moto-venv"
MOTO_DEBIAN="$CACHE_DIR/moto-debian"

# shellcheck disable=SC2034 # scripts/start and scripts/test print it
MOTO_HELP="moto 5.2 or newer with its server (Flask, flask-cors) is needed and could not be installed.
Any one of these is enough:
  - a Python with it: python3 on PATH, or MOTO_PYTHON naming one (pip install 'moto[server]>=5.2');
  - PyPI reachable (or PIP_INDEX_URL naming an index that has moto) and a python3 3.9+ with
    the venv module (Debian: python3-venv): moto is installed into $MOTO_VENV;
  - on Debian: apt sources naming a reachable Debian archive (its unstable suite has
    python3-moto 5.2), /usr/bin/python3, apt-get and dpkg-deb: Debian's packages are
    unpacked into $MOTO_DEBIAN."

# Finds a Python with moto's server (the cache's last); sets MOTO_VERSION and
# exports MOTO_PYTHON (the integration tests start their own servers with it),
# or returns 1.
find_moto() {
  local py
  for py in ${MOTO_PYTHON:-} python3 /usr/bin/python3 "$MOTO_VENV/bin/python" "$MOTO_DEBIAN/python3"; do
    if command -v "$py" >/dev/null && MOTO_VERSION="$("$py" -c "$MOTO_CHECK" 2>/dev/null)"; then
      export MOTO_PYTHON="$py"
      return 0
    fi
  done
  return 1
}

# Finds or installs moto; sets and exports MOTO_PYTHON, or says why not and returns 1.
ensure_moto() {
  if ! find_moto; then
    # One install at a time: another run may be installing into the same cache.
    (
      command -v flock >/dev/null && flock 9
      find_moto || install_moto_from_pypi || install_moto_from_debian
    ) 9>"$CACHE_DIR/moto.lock" || return 1
    find_moto || return 1
  fi
  log "moto $MOTO_VERSION: $MOTO_PYTHON"
}

# Whether the Python package index answers within 5 seconds.
pypi_reachable() {
  local index="${PIP_INDEX_URL:-https://pypi.org/simple}"
  curl -fsS -m 5 -o /dev/null "${index%/}/moto/" 2>/dev/null
}

install_moto_from_pypi() {
  local py="" candidate
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 9)' 2>/dev/null; then
      py="$candidate"
      break
    fi
  done
  [ -n "$py" ] || { log "no python3 3.9+ with the venv module: moto is not installed from PyPI"; return 1; }
  pypi_reachable || { log "PyPI does not answer: moto is not installed from it"; return 1; }
  log "installing moto from PyPI into $MOTO_VENV"
  local started=$SECONDS
  rm -rf "$MOTO_VENV"
  if "$py" -m venv "$MOTO_VENV" >&2 &&
    "$MOTO_VENV/bin/python" -m pip install -q --disable-pip-version-check \
      'moto>=5.2' 'flask!=2.2.0,!=2.2.1' flask-cors >&2 &&
    "$MOTO_VENV/bin/python" -c "$MOTO_CHECK" >/dev/null; then
    log "moto installed from PyPI in $((SECONDS - started))s"
    return 0
  fi
  log "installing moto from PyPI failed"
  rm -rf "$MOTO_VENV"
  return 1
}

# Fetches python3-moto from the machine's Debian archive (its unstable suite,
# as older releases lack moto 5.2) with the dependencies this machine lacks,
# taken from its own release where that release's versions do, and unpacks
# them for /usr/bin/python3.
install_moto_from_debian() {
  local tool
  for tool in /usr/bin/python3 apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || { log "$tool is missing: moto is not installed from Debian's packages"; return 1; }
  done
  local archive uri suite keyring
  # "URI SUITE [KEYRING]" of the machine's own archive, from its apt sources.
  archive="$(node "$ROOT/scripts/lib/debian-archive.mjs")" || { log "no Debian archive in the apt sources: moto is not installed from Debian's packages"; return 1; }
  read -r uri suite keyring <<<"$archive"
  log "installing Debian's python3-moto (unstable) into $MOTO_DEBIAN"
  local started=$SECONDS
  local dir="$MOTO_DEBIAN.partial"
  rm -rf "$dir" "$MOTO_DEBIAN"
  mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/debs" "$dir/root"
  local options=""
  [ -f "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] && options="[signed-by=$keyring] "
  {
    echo "deb $options$uri $suite main"
    case "$suite" in sid | unstable) ;; *) echo "deb $options$uri unstable main" ;; esac
  } >"$dir/apt/sources.list"
  # The machine's release first; unstable only where the release cannot satisfy.
  printf 'Package: *\nPin: release a=unstable\nPin-Priority: 100\n' >"$dir/apt/preferences"
  local apt=(apt-get -q -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::Etc::Preferences=$dir/apt/preferences" -o Dir::Etc::PreferencesParts=/nonexistent
    -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache" -o Debug::NoLocking=1
    -o Acquire::Retries=1 -o Acquire::http::Timeout=20 -o Acquire::Languages=none
    -o APT::Architectures="$(dpkg --print-architecture)" -o APT::Sandbox::User="$(id -un)")
  local aptlog="$dir/apt.log"
  # apt-get update answers 0 when a source fails: its messages tell.
  if ! LC_ALL=C "${apt[@]}" update >"$aptlog" 2>&1 || grep -qE '^(Err:|E:|W: Failed)' "$aptlog"; then
    grep -E '^(Err:|E:|W:)' "$aptlog" >&2
    log "apt-get update of $uri failed: moto is not installed from Debian's packages"
    return 1
  fi
  # What installing python3-moto from unstable would install here: the classic
  # resolver does not look past a release's version, so each dependency whose
  # release version is too old is asked from unstable too, until it resolves.
  local wanted=(python3-moto/unstable python3-flask-cors) plan too_old package asked
  while :; do
    plan="$(LC_ALL=C "${apt[@]}" install -s --no-install-recommends "${wanted[@]}" 2>&1)"
    too_old="$(sed -nE 's/.* Depends: ([^ ]+) \(.*\) but [^ ]+ is (to be )?installed$/\1/p' <<<"$plan" | sort -u)"
    asked=${#wanted[@]}
    for package in $too_old; do
      [[ " ${wanted[*]} " == *" $package/unstable "* ]] || wanted+=("$package/unstable")
    done
    [ ${#wanted[@]} -gt "$asked" ] || break
  done
  # Only Python packages: the unpacked tree is used as PYTHONPATH, nothing else.
  local packages
  packages="$(sed -nE 's/^Inst (python3-[^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p' <<<"$plan")"
  if [ -z "$packages" ]; then
    grep -E '^E:|Depends:' <<<"$plan" >&2
    log "apt cannot resolve python3-moto: moto is not installed from Debian's packages"
    return 1
  fi
  # shellcheck disable=SC2086 # one package=version per word
  if ! (cd "$dir/debs" && LC_ALL=C "${apt[@]}" download $packages >>"$aptlog" 2>&1); then
    tail -n 20 "$aptlog" >&2
    log "downloading Debian's packages failed: moto is not installed from them"
    return 1
  fi
  local deb
  for deb in "$dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dir/root" || { log "dpkg-deb -x $deb failed"; return 1; }
  done
  cat >"$dir/python3" <<SH
#!/bin/sh
# Debian's python3-moto and the packages it needs, unpacked by scripts/lib/services.sh.
PYTHONPATH="$MOTO_DEBIAN/root/usr/lib/python3/dist-packages\${PYTHONPATH:+:\$PYTHONPATH}" exec /usr/bin/python3 "\$@"
SH
  chmod +x "$dir/python3"
  rm -rf "$dir/apt" "$dir/debs" "$aptlog"
  mv "$dir" "$MOTO_DEBIAN"
  if ! "$MOTO_DEBIAN/python3" -c "$MOTO_CHECK" >/dev/null; then
    log "Debian's moto does not run with /usr/bin/python3 ($(/usr/bin/python3 --version 2>&1))"
    rm -rf "$MOTO_DEBIAN"
    return 1
  fi
  log "moto installed from Debian's packages ($(wc -l <<<"$packages") packages) in $((SECONDS - started))s"
}

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
