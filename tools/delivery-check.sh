#!/usr/bin/env bash
# Builds tools/delivery-check (the offline checker of docker-compose.yml, k8s/, the Tiltfile and render.yaml;
# see tools/delivery-check/main.go) into .local/bin when its sources changed, and prints the binary's path.
#
#   bash tools/delivery-check.sh          build if needed, print the path
#
# Its modules come through the Go module proxy, pinned by tools/delivery-check/go.sum. The binary is named
# after a hash of its sources, so an edited checker is never mistaken for the old one.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
LOG_PREFIX=delivery-check
SRC_DIR=$REPO_ROOT/tools/delivery-check
BIN_DIR=$LOCAL_DIR/bin

hash=$(cd "$SRC_DIR" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)
bin=$BIN_DIR/delivery-check-$hash
if [[ ! -x $bin ]]; then
  have go || die "go is not installed" "install Go 1.25 or newer (Debian: apt-get install golang), then rerun"
  mkdir -p "$BIN_DIR"
  log "building delivery-check ($hash) from tools/delivery-check (first time: about a minute on 2 cores)..."
  started=$SECONDS
  # A temporary name, then a rename: a concurrent run never executes a half-written binary.
  tmp=$(mktemp "$BIN_DIR/.delivery-check.XXXXXX")
  if ! (cd "$SRC_DIR" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$tmp" .) >&2; then
    rm -f "$tmp"
    die "go build of tools/delivery-check failed (see above)" "check that the Go module proxy is reachable (go env GOPROXY)"
  fi
  mv "$tmp" "$bin"
  ln -sf "$(basename "$bin")" "$BIN_DIR/delivery-check"
  log "delivery-check ready in $((SECONDS - started)) s: $bin"
fi
echo "$bin"
