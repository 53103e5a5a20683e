# shellcheck shell=bash
# Helpers shared by scripts/infra.sh, scripts/test.sh and .ci/run. Sourced, never run.
#
# Everything the scripts print goes to stderr, so that commands whose stdout is
# meant for a machine (`infra.sh env`) stay clean.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_DIR=$REPO_ROOT/.local # ignored by git: jars, data, logs, markers
LOG_PREFIX=${LOG_PREFIX:-infra}

log() { printf '[%s] %s %s\n' "$LOG_PREFIX" "$(date +%H:%M:%S)" "$*" >&2; }

# die MESSAGE [HINT...]: each hint goes on its own line, so the way out is easy to spot.
die() {
  log "error: $1"
  shift
  local hint
  for hint in "$@"; do printf '[%s]          %s\n' "$LOG_PREFIX" "$hint" >&2; done
  exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# tcp_open HOST PORT: something accepts connections there. A stopped (SIGSTOP) or
# still-starting server also passes, because the kernel completes the handshake
# for it; use a protocol-level check where that matters.
# shellcheck disable=SC2016 # $0/$1 are expanded by the inner shell
tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# Run as root: directly when we are root, else through sudo when there is one.
as_root() {
  if ((EUID == 0)); then "$@"
  elif have sudo; then sudo "$@"
  else die "'$*' needs root and sudo is not installed" "run this script as root"
  fi
}

# --- apt ---------------------------------------------------------------------

APT_WHY= # why apt_install failed, for the caller's error message

# Refresh the package lists unless some were fetched within the hour: on a fresh
# machine (or a Docker-style image with empty lists) install fails without it, and
# several scripts calling this in one CI run should not each pay for it.
apt_update_if_stale() {
  if find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
    return 0
  fi
  log "apt: refreshing package lists (apt-get update)..."
  apt-get update -q >"$LOCAL_DIR/apt.log" 2>&1
}

# apt_install PACKAGE...: returns non-zero with APT_WHY set when it cannot, so the
# caller can say what to do instead (install by hand, or point at an external service).
# shellcheck disable=SC2034 # APT_WHY is read by the callers
apt_install() {
  mkdir -p "$LOCAL_DIR"
  if ! have apt-get; then APT_WHY="apt-get is not available on this machine"; return 1; fi
  if ((EUID != 0)); then APT_WHY="installing packages needs root"; return 1; fi
  if ! apt_update_if_stale; then
    APT_WHY="apt-get update failed (see $LOCAL_DIR/apt.log)"
    return 1
  fi
  log "apt: installing $* ..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
    >>"$LOCAL_DIR/apt.log" 2>&1; then
    tail -n 15 "$LOCAL_DIR/apt.log" >&2
    APT_WHY="apt-get install $* failed (full output in $LOCAL_DIR/apt.log)"
    return 1
  fi
}

# The headless Java 17 runtime's package; Debian releases after bookworm dropped
# openjdk-17, where the default runtime (21+) runs Kafka just as well.
java_apt_package() {
  if ((EUID == 0)) && have apt-get; then apt_update_if_stale || true; fi
  if apt-cache policy openjdk-17-jre-headless 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo openjdk-17-jre-headless
  else
    echo default-jre-headless
  fi
}

# --- Node.js -------------------------------------------------------------------

# use_project_node: puts the Node.js major version that .nvmrc names first on PATH. This machine's own
# Node is used when it is that major; otherwise Node comes from the npm registry's node-linux-<arch>
# package (the one download site a locked-down machine is sure to reach), unpacked once into .local/node
# and reused. Says in one line which Node runs, when it is not the machine's.
use_project_node() {
  local want current arch dir=$LOCAL_DIR/node
  want=$(tr -d '[:space:]v' <"$REPO_ROOT/.nvmrc")
  want=${want%%.*}
  current=$(node -p 'process.versions.node' 2>/dev/null || echo none)
  [[ ${current%%.*} == "$want" ]] && return 0
  if [[ $("$dir/bin/node" -p 'process.versions.node' 2>/dev/null) != "$want".* ]]; then
    case $(uname -m) in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) die "node: Node $want is needed (this machine has $current) and no npm package serves $(uname -m)" \
        "install Node $want yourself and put it first on PATH" ;;
    esac
    have npm || die "node: Node $want is needed (this machine has $current) and npm is missing to fetch it" \
      "install Node $want yourself and put it first on PATH"
    log "node: fetching Node $want from the npm registry (node-linux-$arch@$want) into .local/node..."
    local tmp
    tmp=$(mktemp -d)
    # npm pack only downloads: nothing of the package runs. --silent prints just the tarball's name.
    local tgz
    tgz=$(cd "$tmp" && npm pack --silent "node-linux-$arch@$want" 2>"$tmp/npm.log") ||
      die "node: could not fetch node-linux-$arch@$want from the npm registry: $(tail -n 3 "$tmp/npm.log")" \
        "install Node $want yourself and put it first on PATH"
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xzf "$tmp/$tgz" -C "$dir" --strip-components=1 package/bin package/LICENSE
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  log "node: using Node $(node --version) from .local/node (this machine's Node is $current; the project needs $want)"
}

# install_node_modules: npm ci when node_modules is missing or older than the lock file (npm ci rewrites
# node_modules/.package-lock.json, so a lock file newer than it means the installed tree is out of date).
install_node_modules() {
  if [[ ! -d $REPO_ROOT/node_modules || $REPO_ROOT/package-lock.json -nt $REPO_ROOT/node_modules/.package-lock.json ]]; then
    log "installing node dependencies (npm ci)..."
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund)
  fi
}
