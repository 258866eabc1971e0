# shellcheck shell=bash
# Sourced by scripts/pack-plugins and scripts/lib/consumer-check.sh: builds the
# plugin packages and packs them into tarballs, as `yarn npm publish` would.

PLUGIN_DIRS=(
  plugins/immutable-infra-common
  plugins/immutable-infra
  plugins/immutable-infra-backend
  plugins/scaffolder-backend-module-immutable-infra
)

# The tarball file name of a package: @scope/name-x 0.1.0 -> scope-name-x-0.1.0.tgz
# shellcheck disable=SC2016 # a JavaScript template literal
tarball_name() {
  node -p 'const p = require(process.argv[1]); `${p.name.replace(/^@/, "").replace("/", "-")}-${p.version}.tgz`' \
    "$1/package.json"
}

# Whether a tarball holds every file its package.json names as an entry point
# (main, module, types, exports).
# usage: verify_tarball TARBALL
# shellcheck disable=SC2016 # JavaScript template literals
verify_tarball() {
  local listing
  listing="$(tar tzf "$1")" || return 1
  tar xzf "$1" -O package/package.json | node -e '
    const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const files = new Set(process.argv[1].split("\n"));
    const exported = Object.values(p.exports ?? {}).flatMap(e => (typeof e === "string" ? [e] : Object.values(e)));
    const missing = [p.main, p.module, p.types, ...exported]
      .filter(f => typeof f === "string" && /^(\.\/)?dist\//.test(f))
      .map(f => `package/${f.replace(/^\.\//, "")}`)
      .filter(f => !files.has(f));
    if (missing.length) {
      console.error(`${p.name}: the tarball lacks ${missing.join(", ")}`);
      process.exit(1);
    }' "$listing"
}

# usage: pack_plugins OUTDIR
# `yarn tsc` first: a package build reads the declarations the type check writes.
# A build elsewhere in this worktree at the same time (`yarn build:backend`
# rebuilds the plugins' dist folders) can empty a dist folder while it is
# packed: each tarball is checked for its entry points, and built and packed
# again if one is missing.
pack_plugins() {
  local out dir attempt tarball
  out="$(mkdir -p "$1" && cd "$1" && pwd)" || return 1
  (cd "$ROOT" && yarn tsc >&2) || { log "yarn tsc failed"; return 1; }
  for dir in "${PLUGIN_DIRS[@]}"; do
    tarball="$out/$(tarball_name "$ROOT/$dir")"
    for attempt in 1 2 3; do
      log "building and packing $dir"
      (
        cd "$ROOT/$dir" || exit 1
        # yarn pack runs prepack (backstage-cli package prepack, which rewrites
        # package.json for publishing) and postpack (which restores it); restore
        # it here too should packing fail in between.
        trap '[ -f package.json-prepack ] && mv package.json-prepack package.json' EXIT
        yarn backstage-cli package build >&2 &&
          yarn pack --out "$tarball" >&2
      ) || { log "packing $dir failed"; return 1; }
      verify_tarball "$tarball" && continue 2
      log "packing $dir again (attempt $attempt left an incomplete tarball)"
    done
    log "packing $dir failed: the tarball stayed incomplete"
    return 1
  done
}
