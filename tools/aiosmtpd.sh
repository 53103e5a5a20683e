#!/usr/bin/env bash
# Installs aiosmtpd, the real SMTP server test/integration/smtp.test.ts sends mail to, into .local when missing,
# and prints the folder to put on PYTHONPATH.
#
#   bash tools/aiosmtpd.sh          install if needed, print the folder
#
# aiosmtpd (and its two small dependencies) come from PyPI like any package; pip honours the host's PIP_CERT /
# pip.conf for its CA. One pinned version, into a private folder (pip --target, as tools/hadolint.sh does), so
# nothing is added to the system's Python and Debian's python3-venv is not needed. About 5 s.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
LOG_PREFIX=aiosmtpd
VERSION=1.4.6
DIR=$LOCAL_DIR/python/aiosmtpd-$VERSION

if [[ ! -d $DIR/aiosmtpd ]]; then
  python=$(command -v python3 || true)
  [[ -n $python ]] || die "python3 is not installed" "install it (Debian: apt-get install python3-pip), then rerun"
  "$python" -m pip --version >/dev/null 2>&1 || die "pip is not available for $python" "Debian: apt-get install python3-pip"
  log "installing aiosmtpd $VERSION from PyPI..."
  mkdir -p "$LOCAL_DIR/python"
  tmp=$(mktemp -d "$LOCAL_DIR/python/.aiosmtpd.XXXXXX")
  # PIP_BREAK_SYSTEM_PACKAGES for Debian's pip; --target keeps it out of the system's site-packages anyway.
  if ! PIP_BREAK_SYSTEM_PACKAGES=1 "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --target "$tmp" "aiosmtpd==$VERSION" >&2; then
    rm -rf "$tmp"
    die "pip install aiosmtpd==$VERSION failed (see above)" "check that PyPI is reachable (pip config list)"
  fi
  rm -rf "$DIR"
  mv "$tmp" "$DIR"
  log "aiosmtpd $VERSION ready: $DIR"
fi
echo "$DIR"
