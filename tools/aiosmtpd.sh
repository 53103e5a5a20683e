#!/usr/bin/env bash
# Makes the Python virtual environment with aiosmtpd, the real SMTP server test/integration/smtp.test.ts sends
# mail to, into .local when missing, and prints its python's path.
#
#   bash tools/aiosmtpd.sh          install if needed, print the path
#
# aiosmtpd comes from PyPI like any package (pip honours the host's PIP_CERT / pip.conf for its CA). One pinned
# version; a private venv, nothing added to the system's Python. About 5 s with PyPI reachable.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
LOG_PREFIX=aiosmtpd
VERSION=1.4.6
DIR=$LOCAL_DIR/python/aiosmtpd-$VERSION
python_bin=$DIR/bin/python

if [[ ! -x $python_bin ]] || ! "$python_bin" -c 'import aiosmtpd' 2>/dev/null; then
  python=$(command -v python3 || true)
  [[ -n $python ]] || die "python3 is not installed" "install it (Debian: apt-get install python3-venv), then rerun"
  "$python" -m venv --help >/dev/null 2>&1 || die "the venv module is not available for $python" "Debian: apt-get install python3-venv"
  log "installing aiosmtpd $VERSION from PyPI into $DIR..."
  mkdir -p "$LOCAL_DIR/python"
  # A venv's paths are absolute, so it is built where it lives; a failed install is removed, and a half-made one
  # (no importable aiosmtpd) is rebuilt by the check above.
  rm -rf "$DIR"
  if ! "$python" -m venv "$DIR" >&2 ||
    ! "$DIR/bin/python" -m pip install --quiet --disable-pip-version-check "aiosmtpd==$VERSION" >&2; then
    rm -rf "$DIR"
    die "pip install aiosmtpd==$VERSION failed (see above)" "check that PyPI is reachable (pip config list)"
  fi
  log "aiosmtpd $VERSION ready: $python_bin"
fi
echo "$python_bin"
