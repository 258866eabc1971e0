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

# usage: pack_plugins OUTDIR
# `yarn tsc` first: a package build reads the declarations the type check writes.
pack_plugins() {
  local out dir
  out="$(mkdir -p "$1" && cd "$1" && pwd)" || return 1
  (cd "$ROOT" && yarn tsc >&2) || { log "yarn tsc failed"; return 1; }
  for dir in "${PLUGIN_DIRS[@]}"; do
    log "building and packing $dir"
    (
      cd "$ROOT/$dir" || exit 1
      # yarn pack runs prepack (backstage-cli package prepack, which rewrites
      # package.json for publishing) and postpack (which restores it); restore
      # it here too should packing fail in between.
      trap '[ -f package.json-prepack ] && mv package.json-prepack package.json' EXIT
      yarn backstage-cli package build >&2 &&
        yarn pack --out "$out/$(tarball_name .)" >&2
    ) || { log "packing $dir failed"; return 1; }
  done
}
