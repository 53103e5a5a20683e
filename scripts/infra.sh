#!/usr/bin/env bash
# Local infrastructure for development and tests: a real single-node Kafka (KRaft,
# broker and controller in one JVM) and PostgreSQL, both on loopback.
# Run `scripts/infra.sh help` for commands and settings.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# By role: infra/kafka.sh and infra/postgres.sh (sourced below, after the settings they read).
SCRIPT=${BASH_SOURCE[0]}

# --- settings (all documented in usage) -----------------------------------------
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_FALLBACK_VERSIONS=(4.0.1 3.9.1) # tried in order when KAFKA_VERSION cannot be resolved
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90} # seconds
PGPORT=${PGPORT:-5432}

# shellcheck source=scripts/infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/common.sh"
# shellcheck source=scripts/infra/kafka.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/kafka.sh"
# shellcheck source=scripts/infra/postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra/postgres.sh"

usage() {
  cat <<EOF
Usage: scripts/infra.sh COMMAND   (also: npm run infra -- COMMAND)

Runs a local Apache Kafka (single KRaft node) and PostgreSQL on 127.0.0.1 for
development and tests. State lives in .local/ (git-ignored); \`down\` keeps it.

Commands:
  up                  start both (idempotent; installs Java, Maven and PostgreSQL
                      with apt-get when missing and running as root) and wait
                      until they answer
  fetch               install what the tests' private servers run from (Java and
                      the Kafka \$KAFKA_VERSION jars, PostgreSQL's binaries) without
                      starting anything, also when KAFKA_BROKERS/DATABASE_URL are set
  down                stop the local broker, and PostgreSQL if \`up\` started it
  status              one line per service; exit 0 only when both answer
  logs [-f] [kafka|postgres]
                      show the last log lines (default: both); -f follows them
  env                 print export lines: eval "\$(scripts/infra.sh env)"
  help, --help        this text

Environment (default in brackets):
  KAFKA_BROKERS          use these brokers instead of starting one; up/down leave
                         them alone. The local address that \`env\` prints still
                         means the local broker [unset]
  KAFKA_VERSION          Kafka to run, from Maven Central; ${KAFKA_FALLBACK_VERSIONS[*]} are tried
                         if it cannot be resolved [4.1.1]
  KAFKA_PORT             broker (PLAINTEXT) port [9092]
  KAFKA_CONTROLLER_PORT  KRaft controller port [9093]
  KAFKA_HEAP_OPTS        JVM heap flags for the broker [-Xms256m -Xmx1g]
  KAFKA_START_TIMEOUT    seconds to wait for the broker to start [90]
  DATABASE_URL           use this PostgreSQL instead of the local cluster; up only
                         checks that it answers. The local URL that \`env\` prints
                         still means the local cluster [unset]
  PGPORT                 port of the local PostgreSQL cluster [5432]

Local addresses: KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT
                 DATABASE_URL=$PG_URL
EOF
}

# ================================ commands ========================================

# Serialise up/down, so two `npm test` runs started together do not both launch a
# broker: re-run this script under flock(1). -o closes the lock's descriptor in the
# script, so the broker and postgres it starts do not inherit it and hold the lock
# for as long as they run.
run_locked() {
  if [[ -n ${INFRA_LOCK_HELD:-} ]] || ! have flock; then return 0; fi
  mkdir -p "$LOCAL_DIR"
  local rc=0
  INFRA_LOCK_HELD=1 flock -o -E 200 -w 300 "$LOCAL_DIR/infra.lock" bash "$SCRIPT" "$@" || rc=$?
  ((rc != 200)) || die "another scripts/infra.sh has held $LOCAL_DIR/infra.lock for 5 minutes" \
    "wait for it to finish, or end it"
  exit "$rc"
}

cmd_up() {
  local start=$SECONDS
  kafka_up
  pg_up
  log "up: Kafka and PostgreSQL ready ($((SECONDS - start)) s); eval \"\$(scripts/infra.sh env)\" exports their addresses"
}

# What the tests' private servers run from, without starting anything: the Kafka jars (and Java) and
# Debian's PostgreSQL binaries, also when KAFKA_BROKERS / DATABASE_URL point elsewhere.
cmd_fetch() {
  ensure_java
  kafka_fetch_jars "$KAFKA_VERSION" ||
    die "kafka: could not fetch the Kafka $KAFKA_VERSION jars the tests' private broker runs" \
      "check network access to Maven Central (see the Maven output above)"
  pg_ensure_installed
}

cmd_down() {
  kafka_down
  pg_down
}

cmd_status() {
  local rc=0
  kafka_status || rc=1
  pg_status || rc=1
  return $rc
}

# single_quote VALUE: VALUE as one shell word, readable (unlike printf %q's backslashes).
single_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

cmd_env() {
  echo "export KAFKA_BROKERS=$(single_quote "${KAFKA_BROKERS:-$KAFKA_HOST:$KAFKA_PORT}")"
  echo "export DATABASE_URL=$(single_quote "${DATABASE_URL:-$PG_URL}")"
}

cmd_logs() {
  local follow=() which=() arg files=() f
  for arg in "$@"; do
    case $arg in
      -f | --follow) follow=(-F) ;;
      kafka | postgres) which+=("$arg") ;;
      *) die "logs: unknown argument '$arg'" "usage: scripts/infra.sh logs [-f] [kafka|postgres]" ;;
    esac
  done
  ((${#which[@]})) || which=(kafka postgres)
  for arg in "${which[@]}"; do
    case $arg in
      kafka)
        if kafka_is_external; then log "kafka: external brokers ($KAFKA_BROKERS); no local log"
        else files+=("$KAFKA_LOGS/server.log"); fi
        ;;
      postgres)
        if pg_is_external; then log "postgres: external DATABASE_URL; no local log"
        elif f=$(pg_logfile); then files+=("$f")
        else log "postgres: no local cluster, so no log"; fi
        ;;
    esac
  done
  for f in "${files[@]}"; do
    [[ -r $f ]] || die "no log at $f yet" "run 'scripts/infra.sh up' first"
  done
  ((${#files[@]})) || return 0
  tail -n 50 "${follow[@]}" "${files[@]}"
}

main() {
  local cmd=${1:-help}
  shift || true
  case $cmd in
    up) run_locked up && cmd_up ;;
    fetch) run_locked fetch && cmd_fetch ;;
    down) run_locked down && cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    env) cmd_env ;;
    help | -h | --help) usage ;;
    *) die "unknown command '$cmd'" "use one of: up, fetch, down, status, logs, env, help (scripts/infra.sh help explains them)" ;;
  esac
}

main "$@"
