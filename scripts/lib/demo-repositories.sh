# shellcheck shell=bash
# The demo's local repositories (immutable-infra:publish:local): each
# directory of examples/repositories as a git repository of one commit, listed
# in the Location file the catalog reads.
reset_demo_repositories() {
  local dir="$ROOT/.demo/repositories" targets="" source name
  rm -rf "$dir"
  mkdir -p "$dir"
  for source in "$ROOT"/examples/repositories/*/; do
    name="$(basename "$source")"
    cp -R "$source" "$dir/$name"
    git -C "$dir/$name" init -q -b main
    git -C "$dir/$name" add -A
    git -C "$dir/$name" -c user.name=demo -c user.email=demo@localhost \
      commit -q -m "$name as its team left it"
    targets="$targets    - ./$name/catalog-info.yaml
"
  done
  cat >"$dir/catalog-locations.yaml" <<YAML
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: local-repositories
  description: The repositories immutable-infra:publish:local published on this host
spec:
  targets:
${targets:-    []
}
YAML
}
