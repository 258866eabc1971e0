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
tarball_name() {
  node "$ROOT/scripts/lib/pack.mjs" tarball-name "$1"
}

# Whether a tarball holds every file its package.json names as an entry point
# (main, module, types, exports).
# usage: verify_tarball TARBALL
verify_tarball() {
  local listing
  listing="$(tar tzf "$1")" || return 1
  tar xzf "$1" -O package/package.json | node "$ROOT/scripts/lib/pack.mjs" check-entry-points "$listing"
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
