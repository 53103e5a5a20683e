# shellcheck shell=bash
# The cluster's own images, made here because no registry is reachable: pause (the pod sandbox, compiled from
# the pinned Kubernetes module's build/pause/linux/pause.c) and CoreDNS (built from the Go module proxy at
# the version kubeadm pairs with this Kubernetes release). Both are a single static binary on an empty
# filesystem, committed with buildah and moved into the node's containerd with `ctr images import`.
# Also kube-router, whose firewall alone enforces NetworkPolicies (the bridge CNI plugin enforces none); it runs
# on the node as a process, like kube-proxy. Sourced by scripts/cluster.sh, never run.

PAUSE_VERSION=3.10.1  # kubeadm's PauseVersion for v1.34
COREDNS_VERSION=1.12.1 # kubeadm's CoreDNSVersion for v1.34
KUBE_ROUTER_VERSION=2.1.0 # the newest the Go module proxy serves here
PAUSE_IMAGE=localhost/telemetry-pulse-cluster/pause:$PAUSE_VERSION
COREDNS_IMAGE=localhost/telemetry-pulse-cluster/coredns:$COREDNS_VERSION

# scratch_image REF BINARY ENTRYPOINT_JSON [LABEL=VALUE]: an image of one static binary at /, run as nobody (65534).
scratch_image() {
  local ref=$1 binary=$2 entrypoint=$3 label=${4:-} ctr
  ctr=$(buildah from scratch)
  buildah copy --quiet "$ctr" "$binary" "/$(basename "$binary")" >/dev/null
  buildah config --entrypoint "$entrypoint" --cmd '' --user 65534:65534 \
    --label "org.opencontainers.image.source=scripts/cluster/images.sh" ${label:+--label "$label"} "$ctr"
  buildah commit --quiet --rm "$ctr" "$ref" >/dev/null
}

# cluster_images: builds pause and CoreDNS into $CLUSTER_CACHE and podman's store, unless they are there.
cluster_images() {
  local pause_src go_cache=$CLUSTER_CACHE/coredns-$COREDNS_VERSION
  if ! podman image exists "$PAUSE_IMAGE"; then
    pause_src=$(cd "$KUBE_SOURCES" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
    [[ -f $pause_src ]] || die "pause: $pause_src is missing from the Go module cache" "run: (cd scripts/kubernetes && go mod download)"
    log "images: compiling pause $PAUSE_VERSION from $pause_src (gcc -static)"
    mkdir -p "$CLUSTER_CACHE/pause"
    gcc -Os -static -Wall -Werror -DVERSION="v$PAUSE_VERSION" -o "$CLUSTER_CACHE/pause/pause" "$pause_src" ||
      die "pause: gcc -static failed" "it needs Debian's gcc and libc6-dev"
    scratch_image "$PAUSE_IMAGE" "$CLUSTER_CACHE/pause/pause" '["/pause"]'
  fi
  if ! podman image exists "$COREDNS_IMAGE"; then
    if [[ ! -x $go_cache/coredns ]]; then
      log "images: building CoreDNS v$COREDNS_VERSION from the Go module proxy (about 1-3 min)"
      mkdir -p "$go_cache"
      CGO_ENABLED=0 GOBIN=$go_cache go install "github.com/coredns/coredns@v$COREDNS_VERSION" >"$CLUSTER_LOGS/coredns-build.log" 2>&1 ||
        die "CoreDNS: go install failed" "see $CLUSTER_LOGS/coredns-build.log"
    fi
    scratch_image "$COREDNS_IMAGE" "$go_cache/coredns" '["/coredns"]'
  fi
}

# kube_router_binary: prints the path of kube-router, built once from the Go module proxy into $CLUSTER_CACHE.
kube_router_binary() {
  local dir=$CLUSTER_CACHE/kube-router-$KUBE_ROUTER_VERSION
  if [[ ! -x $dir/kube-router ]]; then
    log "building kube-router v$KUBE_ROUTER_VERSION (NetworkPolicy firewall) from the Go module proxy (about 2-4 min)"
    mkdir -p "$dir"
    CGO_ENABLED=0 GOBIN=$dir go install "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v$KUBE_ROUTER_VERSION" \
      >"$CLUSTER_LOGS/kube-router-build.log" 2>&1 || die "kube-router: go install failed" "see $CLUSTER_LOGS/kube-router-build.log"
  fi
  echo "$dir/kube-router"
}

# import_images REF...: podman's images into the node's containerd (namespace k8s.io), where the kubelet finds
# them by the same name; an image imported before with the same podman id is skipped.
import_images() {
  local ref id marker archive
  mkdir -p "$CLUSTER_STATE/imported"
  for ref in "$@"; do
    podman image exists "$ref" || die "image $ref is not in podman's store" "build it first: npm run images"
    id=$(podman image inspect --format '{{.Id}}' "$ref")
    marker=$CLUSTER_STATE/imported/$(tr '/:' '__' <<<"$ref")
    if [[ $(cat "$marker" 2>/dev/null) == "$id" ]] && ctr_node images ls -q "name==$ref" | grep -q .; then
      continue
    fi
    log "images: importing $ref into the node's containerd"
    # A file of its own: two imports at once (a test run and Tilt's builds) must not write the same archive.
    archive=$(mktemp --dry-run "$CLUSTER_STATE/import.XXXXXX.tar")
    podman save --quiet --format docker-archive -o "$archive" "$ref"
    ctr_node images import "$archive" >/dev/null || {
      rm -f "$archive"
      die "ctr images import of $ref failed"
    }
    rm -f "$archive"
    echo "$id" >"$marker"
  done
}
