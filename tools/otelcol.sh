#!/usr/bin/env bash
# Builds tools/otelcol (a minimal OpenTelemetry Collector: OTLP receiver, file exporter; see
# tools/otelcol/main.go) into .local/bin when its sources changed, and prints the binary's path.
#
#   bash tools/otelcol.sh           build if needed, print the path
#   bash tools/otelcol.sh --check   print the path, or fail when it is not built for the current sources
#
# Its modules come through the Go module proxy, pinned by tools/otelcol/go.sum (one collector release for
# all of them). The binary is named after a hash of its sources, so an edited collector is never mistaken
# for the old one; .local/bin/otelcol links to the newest.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
LOG_PREFIX=otelcol
SRC_DIR=$REPO_ROOT/tools/otelcol
BIN_DIR=$LOCAL_DIR/bin

hash=$(cd "$SRC_DIR" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)
bin=$BIN_DIR/otelcol-$hash

case ${1:-} in
  '') ;;
  --check)
    [[ -x $bin ]] || die "otelcol is not built for the current tools/otelcol sources ($bin is missing)" \
      "run: bash tools/otelcol.sh   (a few minutes the first time; scripts/test.sh does it)"
    echo "$bin"
    exit 0
    ;;
  *)
    sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    die "unknown argument '$1'"
    ;;
esac

if [[ ! -x $bin ]]; then
  have go || die "go is not installed" "install Go 1.26 or newer (Debian: apt-get install golang), then rerun"
  mkdir -p "$BIN_DIR"
  log "building otelcol ($hash) from tools/otelcol (first time: a few minutes on 2 cores)..."
  started=$SECONDS
  # A temporary name, then a rename: a concurrent run never executes a half-written binary.
  tmp=$(mktemp "$BIN_DIR/.otelcol.XXXXXX")
  # -trimpath and no DWARF (-s -w): a smaller binary and a shorter link, nothing the tests need is lost.
  if ! (cd "$SRC_DIR" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w' -o "$tmp" .) >&2; then
    rm -f "$tmp"
    die "go build of tools/otelcol failed (see above)" "check that the Go module proxy is reachable (go env GOPROXY)"
  fi
  mv "$tmp" "$bin"
  ln -sf "$(basename "$bin")" "$BIN_DIR/otelcol"
  log "otelcol ready in $((SECONDS - started)) s: $bin"
fi
echo "$bin"
