# shellcheck shell=bash
# KEDA (https://keda.sh, Apache-2.0) on the single-node cluster, opt-in: `scripts/cluster.sh keda`.
# Its three programs (operator, metrics API server "adapter", admission webhooks) are built from the Go module
# proxy like the Kubernetes components (no registry is reachable here), each into a one-binary image like
# CoreDNS's; the manifests are KEDA's own kustomize bases from the same module (config/), rendered by kubectl's
# built-in kustomize with this cluster's image names, a small CPU request and imagePullPolicy IfNotPresent.
# Nothing of KEDA's is committed: this script fetches, builds and renders it. Sourced by scripts/cluster.sh.
#
# Cached in $CLUSTER_CACHE/keda-<version>-<go version>/ (kept by `down`): cold about 20-25 min on 2 cores (the
# operator alone links most of the cloud SDKs KEDA's scalers use), seconds when cached.

KEDA_VERSION=2.21.0 # 2.21.1 needs go1.27.4 and a genproto version the Go module proxy refuses (403)
KEDA_MODULE=github.com/kedacore/keda/v2
KEDA_NAMESPACE=keda
KEDA_PROGRAMS=(keda:operator keda-adapter:adapter keda-admission-webhooks:webhooks) # binary:cmd directory
# Per pod: the node has 2000m allocatable, and the test wants room for four processors beside KEDA.
KEDA_CPU_REQUEST=50m

keda_image() { echo "localhost/telemetry-pulse-cluster/$1:$KEDA_VERSION"; }

# keda_cache_dir: where this KEDA version built with this Go lands; a new Go means a new build.
keda_cache_dir() {
  local go_version
  go_version=$(GOTOOLCHAIN=local go env GOVERSION) || die "keda: go env GOVERSION failed" "is Go installed? (/usr/local/go)"
  echo "$CLUSTER_CACHE/keda-$KEDA_VERSION-$go_version"
}

# keda_module_dir: KEDA's module in the Go module cache (read-only), downloaded through the proxy if missing.
keda_module_dir() {
  local dir
  dir=$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$KEDA_MODULE@v$KEDA_VERSION" 2>/dev/null |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $dir && -d $dir ]] ||
    die "keda: go mod download $KEDA_MODULE@v$KEDA_VERSION failed" "is the Go module proxy reachable? (go env GOPROXY)"
  echo "$dir"
}

# keda_build: KEDA's three binaries into keda_cache_dir, unless they are there; prints the directory.
# The way KEDA's Makefile builds them (CGO_ENABLED=0, version and commit in -ldflags), plus -trimpath. The module
# has replace directives, so it builds as the main module, from a writable copy (the module cache is read-only).
keda_build() {
  local out module work ldflags entry binary cmd started
  out=$(keda_cache_dir)
  local missing=()
  for entry in "${KEDA_PROGRAMS[@]}"; do [[ -x $out/${entry%%:*} ]] || missing+=("$entry"); done
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "$out"
    return 0
  fi
  mkdir -p "$out" "$CLUSTER_LOGS"
  module=$(keda_module_dir)
  work=$out/src
  rm -rf "$work"
  cp -r "$module" "$work"
  chmod -R u+w "$work"
  # The proxy's .info names no commit: KEDA logs "Git Commit: unknown".
  ldflags="-X=$KEDA_MODULE/version.GitCommit=unknown -X=$KEDA_MODULE/version.Version=$KEDA_VERSION"
  for entry in "${missing[@]}"; do
    binary=${entry%%:*} cmd=${entry#*:}
    log "keda: building $binary v$KEDA_VERSION from the Go module proxy (cold: operator about 20 min, adapter 2, webhooks 1; log: $CLUSTER_LOGS/keda-build.log)"
    started=$SECONDS
    (cd "$work" && GOTOOLCHAIN=local CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" \
      -o "$out/.partial-$binary" "./cmd/$cmd") >>"$CLUSTER_LOGS/keda-build.log" 2>&1 ||
      die "keda: go build of $binary failed" "log: $CLUSTER_LOGS/keda-build.log"
    mv "$out/.partial-$binary" "$out/$binary"
    log "keda: $binary built in $((SECONDS - started)) s ($(du -m "$out/$binary" | cut -f1) MB)"
  done
  rm -rf "$work"
  echo "$out"
}

# keda_images: the one-binary images in podman's store, rebuilt when the binary changed.
keda_images() {
  local dir entry binary ref sum
  dir=$(keda_build)
  for entry in "${KEDA_PROGRAMS[@]}"; do
    binary=${entry%%:*} ref=$(keda_image "${entry%%:*}")
    sum=$(sha256sum "$dir/$binary" | cut -c1-16)
    if podman image exists "$ref" &&
      [[ $(podman image inspect --format '{{index .Labels "io.telemetry-pulse.binary-sha256"}}' "$ref") == "$sum" ]]; then
      continue
    fi
    log "keda: image $ref"
    scratch_image "$ref" "$dir/$binary" "[\"/$binary\"]" "io.telemetry-pulse.binary-sha256=$sum"
  done
}

# keda_render: KEDA's config/default (CRDs, namespace keda, RBAC, the three Deployments and Services, the
# APIService of external.metrics.k8s.io, the validating webhooks) from its module, through an overlay that gives
# the images this cluster's names, IfNotPresent (no registry to pull from) and a smaller CPU request.
keda_render() {
  local module tree overlay entry ref upstream
  module=$(keda_module_dir)
  # kustomize takes no absolute paths: the module's config/ beside the overlay, writable (for chmod-free cleanup).
  tree=$(keda_cache_dir)/manifests
  overlay=$tree/overlay
  rm -rf "$tree"
  mkdir -p "$overlay"
  cp -r "$module/config" "$tree/config"
  chmod -R u+w "$tree/config"
  {
    echo "# Generated by scripts/cluster/keda.sh: KEDA v$KEDA_VERSION (Apache-2.0, github.com/kedacore/keda) for this cluster."
    echo "apiVersion: kustomize.config.k8s.io/v1beta1"
    echo "kind: Kustomization"
    echo "resources: [../config/default]"
    echo "images:"
    for entry in keda:keda keda-adapter:keda-metrics-apiserver keda-admission-webhooks:keda-admission-webhooks; do
      ref=$(keda_image "${entry%%:*}") upstream=ghcr.io/kedacore/${entry#*:}
      echo "  - { name: $upstream, newName: ${ref%:*}, newTag: '${ref##*:}' }"
    done
    echo "patches:"
    echo "  - target: { kind: Deployment, namespace: $KEDA_NAMESPACE }"
    echo "    patch: |-"
    echo "      - { op: replace, path: /spec/template/spec/containers/0/imagePullPolicy, value: IfNotPresent }"
    echo "      - { op: replace, path: /spec/template/spec/containers/0/resources/requests/cpu, value: $KEDA_CPU_REQUEST }"
  } >"$overlay/kustomization.yaml"
  "$(bash "$KUBE_SOURCES/build.sh" kubectl)/kubectl" kustomize "$overlay" || die "keda: kubectl kustomize of $module/config/default failed" "overlay: $overlay/kustomization.yaml"
}

# keda_install: the images into the node, KEDA's objects applied server-side (the ScaledJob CRD is larger than
# the last-applied annotation allows), then every KEDA Deployment Available and the external metrics API served.
keda_install() {
  local entry refs=() manifests started=$SECONDS
  running kube-apiserver || die "the cluster is not up" "run: scripts/cluster.sh up"
  keda_images
  for entry in "${KEDA_PROGRAMS[@]}"; do refs+=("$(keda_image "${entry%%:*}")"); done
  import_images "${refs[@]}"
  manifests=$(keda_render)
  log "keda: applying KEDA v$KEDA_VERSION (namespace $KEDA_NAMESPACE)"
  kctl apply --server-side --force-conflicts --field-manager=telemetry-pulse-cluster -f - <<<"$manifests" >/dev/null ||
    die "keda: kubectl apply of KEDA's manifests failed (output above)"
  wait_until 240 - "KEDA's Deployments to be Available (kubectl -n $KEDA_NAMESPACE get pods)" \
    kctl -n "$KEDA_NAMESPACE" wait --for=condition=Available deployment --all --timeout=1s
  wait_until 120 - "the APIService v1beta1.external.metrics.k8s.io to be Available (kubectl -n $KEDA_NAMESPACE logs deploy/keda-metrics-apiserver)" \
    kctl wait --for=condition=Available apiservice/v1beta1.external.metrics.k8s.io --timeout=1s
  log "keda: v$KEDA_VERSION ready in $((SECONDS - started)) s: operator, metrics API server, admission webhooks"
}

# keda_uninstall: KEDA's objects, CRDs included (ScaledObjects go with them); the images stay cached.
keda_uninstall() {
  running kube-apiserver || die "the cluster is not up"
  keda_render | kctl delete --ignore-not-found --wait=true -f - >/dev/null
  log "keda: removed"
}

# cmd_keda [install|build|render|uninstall]: `build` makes the binaries and images only (no cluster needed).
cmd_keda() {
  local sub=${1:-install}
  case $sub in
    install | build | render | uninstall) ;;
    *) die "keda: unknown command '$sub'" "scripts/cluster.sh keda [install|build|render|uninstall]" ;;
  esac
  PATH=/usr/local/go/bin:$PATH
  mkdir -p "$CLUSTER_CACHE" "$CLUSTER_LOGS"
  case $sub in
    install) keda_install ;;
    build) keda_images ;;
    render) keda_render ;;
    uninstall) keda_uninstall ;;
  esac
}
