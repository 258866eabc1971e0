# shellcheck shell=bash
# The demo's local repositories (immutable-infra:publish:local): emptied, with
# the Location file the catalog reads listing none yet.
reset_demo_repositories() {
  local dir="$ROOT/.demo/repositories"
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/catalog-locations.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: local-repositories
  description: The repositories immutable-infra:publish:local published on this host
spec:
  targets: []
YAML
}
