#!/usr/bin/env bash
# Offline validation tools for the delivery artefacts (charts/, k8s/, Tiltfile), built from source
# through the Go module proxy with `go install` and cached in .local/bin, one pinned version each.
#
#   bash scripts/tools.sh install [NAME...]   build what is missing (all when no name is given)
#   bash scripts/tools.sh path NAME           print the binary's path (exit 1 when not installed)
#   bash scripts/tools.sh list                name, version and state of every tool
#
# A version bump is a change to the table below: the binary is named after its version, so the
# old one is never mistaken for the new one.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=tools
BIN_DIR=$LOCAL_DIR/bin

# name | go package | version | -ldflags (what the project's release build would stamp in)
# helm: the -X flags of helm's Makefile for a tagged release; without them a source build reports "v4.3".
# Helm 4 takes its default Kubernetes version (template, lint) from the client-go it was built with
# (v0.37 -> Kubernetes 1.37), so it needs no version flags for the chart's kubeVersion (>=1.25).
HELM_LDFLAGS="-X helm.sh/helm/v4/internal/version.version=v4.3.2"
HELM_LDFLAGS+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
TOOLS=(
  "helm|helm.sh/helm/v4/cmd/helm|v4.3.2|$HELM_LDFLAGS"
  "kubeconform|github.com/yannh/kubeconform/cmd/kubeconform|v0.7.0"
  "buildifier|github.com/bazelbuild/buildtools/buildifier|v0.0.0-20260904073137-eaa4d125b423"
)

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# field NAME INDEX: one column of a tool's row.
field() {
  local row
  for row in "${TOOLS[@]}"; do
    IFS='|' read -r name pkg version ldflags <<<"$row"
    if [[ $name == "$1" ]]; then
      case $2 in pkg) echo "$pkg" ;; version) echo "$version" ;; ldflags) echo "$ldflags" ;; esac
      return 0
    fi
  done
  die "unknown tool '$1'" "known tools: $(names)"
}

names() {
  local row out=()
  for row in "${TOOLS[@]}"; do out+=("${row%%|*}"); done
  echo "${out[*]}"
}

# The name carries the version and a digest of the build flags, so a change to either builds anew.
binary() {
  local stamp
  stamp=$(printf '%s' "$(field "$1" ldflags)" | sha256sum | cut -c1-8)
  echo "$BIN_DIR/$1-$(field "$1" version)-$stamp"
}

install_one() {
  local name=$1 pkg version ldflags bin build_dir started=$SECONDS
  pkg=$(field "$name" pkg)
  version=$(field "$name" version)
  ldflags=$(field "$name" ldflags)
  bin=$(binary "$name")
  [[ -x $bin ]] && return 0
  have go || die "go is not installed" "install Go 1.22 or newer (Debian: apt-get install golang), then rerun"
  mkdir -p "$BIN_DIR"
  build_dir=$(mktemp -d "$LOCAL_DIR/go-install.XXXXXX")
  log "building $name $version from the Go module proxy (go install $pkg@$version; a few minutes on 2 cores)..."
  # GOFLAGS=-mod=mod: module mode regardless of any go.work around; CGO off: static, no C toolchain needed.
  if ! GOBIN=$build_dir CGO_ENABLED=0 GOFLAGS=-mod=mod go install -ldflags "$ldflags" "$pkg@$version" \
    >"$LOCAL_DIR/go-install-$name.log" 2>&1; then
    tail -n 20 "$LOCAL_DIR/go-install-$name.log" >&2
    rm -rf "$build_dir"
    die "go install $pkg@$version failed (full output in $LOCAL_DIR/go-install-$name.log)" \
      "check that the Go module proxy is reachable (go env GOPROXY) or put a $name binary at $bin"
  fi
  mv "$build_dir/$(basename "$pkg")" "$bin"
  rm -rf "$build_dir"
  ln -sf "$(basename "$bin")" "$BIN_DIR/$name"
  log "$name $version ready in $((SECONDS - started)) s: $bin"
}

cmd=${1:-help}
shift || true
case $cmd in
  install)
    # shellcheck disable=SC2046 # word splitting of the names is the point
    set -- "${@:-$(names)}"
    for name in $*; do install_one "$name"; done
    ;;
  path)
    [[ $# -eq 1 ]] || die "usage: scripts/tools.sh path NAME"
    bin=$(binary "$1")
    [[ -x $bin ]] || die "$1 is not installed" "run: bash scripts/tools.sh install $1"
    echo "$bin"
    ;;
  list)
    for name in $(names); do
      state=missing
      [[ -x $(binary "$name") ]] && state=installed
      printf '%-12s %-40s %s\n' "$name" "$(field "$name" version)" "$state"
    done
    ;;
  help | -h | --help) usage ;;
  *)
    usage >&2
    die "unknown command '$cmd'"
    ;;
esac
