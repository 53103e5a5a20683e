#!/usr/bin/env bash
# What `npm start` runs: the whole pipeline on this machine. Installs node dependencies when needed,
# compiles, brings Kafka and PostgreSQL up (scripts/infra.sh), migrates, then runs the simulator, the
# processor and the API with the dashboard, with prefixed output and a status line every 10 s.
# Ctrl-C stops every service gracefully; the infrastructure this script started is stopped too
# (KEEP_INFRA=1 leaves it running for a faster next start).
#
# Extra arguments go to the simulator, e.g. `npm start -- --rate 200 --malformed-rate 2%`; `--no-backfill`
# is this script's: a fresh database otherwise gets START_BACKFILL (3h) of history first, so the dashboard's
# trends and heatmap have something to show at once. On a terminal the services' JSON logs are shown as
# readable coloured lines (scripts/dev-log.ts); piped or redirected they stay JSON, as in containers.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX='start'
cd "$REPO_ROOT"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  cat <<'USAGE'
Usage: npm start [-- [--no-backfill] SIMULATOR_OPTIONS...]

Runs the whole pipeline locally: Kafka + PostgreSQL (scripts/infra.sh), migrations, the simulator,
the processor, the API with the dashboard, and a status line every 10 s. Ctrl-C stops everything cleanly.
On a fresh database the simulator first backfills the last START_BACKFILL of history (--no-backfill: not).
On a terminal, log lines are readable and coloured (NO_COLOR=1: without colour); piped, they are JSON.

Environment:
  KAFKA_BROKERS, DATABASE_URL  use existing services instead of starting local ones
  KEEP_INFRA=1                 leave Kafka and PostgreSQL running after Ctrl-C
  PROCESSOR_PORT               processor /metrics, /healthz, /readyz port (default 9464)
  API_PORT                     dashboard, API, /docs and /metrics port (default 8080)
  API_KEYS                     name:sha256 pairs for acknowledging alerts; unset: a key for this run
                               is generated and printed
  LOG_LEVEL                    service log level (default info)
  START_BACKFILL               history a fresh database gets first (default 3h; 0: none)
Simulator options: node services/simulator/dist/main.js --help
USAGE
  exit 0
fi

backfill=${START_BACKFILL:-3h}
simulator_args=()
for arg in "$@"; do
  if [[ $arg == --no-backfill ]]; then backfill=0; else simulator_args+=("$arg"); fi
done

use_project_node
install_node_modules
log "compiling TypeScript (tsc --build)..."
npx --no-install tsc --build

# Ctrl-C takes down only infrastructure this run brought up: if either server was already running
# (another checkout, a test run), both are left alone.
infra_was_up=0
if bash scripts/infra.sh status 2>/dev/null | grep -q ' running '; then infra_was_up=1; fi
bash scripts/infra.sh up
eval "$(bash scripts/infra.sh env)"
export KAFKA_BROKERS DATABASE_URL

# A terminal gets readable lines (time, service, level, message, fields); a pipe or file gets the JSON lines,
# prefixed with the service's name, for tools.
readable=0
if [[ -t 1 ]]; then readable=1; fi
# relay NAME: a service's output lines, for the reader (see above).
relay() {
  if ((readable)); then
    node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON "$REPO_ROOT/scripts/dev-log.ts" "$1" --width 9
  else
    sed -u "s/^/[$1] /"
  fi
}

node services/shared/dist/migrate-cli.js 2>&1 | relay migrate

pids=()
# run NAME COMMAND...: starts a service in the background, its output relayed under its name.
run() {
  local name=$1
  shift
  # Ctrl-C reaches the whole foreground process group; the output relays ignore it, so that every
  # service's last log lines still get through while the trap below stops the services in order.
  (
    trap '' INT
    "$@" 2>&1 | relay "$name"
  ) &
  pids+=($!)
}

stopping=0
shutdown() {
  ((stopping)) && return
  stopping=1
  log "stopping services..."
  # Signal the node processes themselves (the subshells only relay their output).
  pkill -TERM -f "$REPO_ROOT/services/.*/dist/main.js" 2>/dev/null || true
  pkill -TERM -f "$REPO_ROOT/scripts/pipeline-status.ts" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  if ((infra_was_up == 0)) && [[ ${KEEP_INFRA:-0} != 1 ]]; then
    bash scripts/infra.sh down
  else
    log "Kafka and PostgreSQL left running (npm run infra down stops them)"
  fi
}
trap 'shutdown; exit 0' INT TERM
trap shutdown EXIT

export LOG_LEVEL=${LOG_LEVEL:-info}
# Acknowledging alerts on the dashboard needs an API key; a local run gets one of its own, printed below.
dev_key=''
if [[ -z ${API_KEYS:-} ]]; then
  dev_key=$(node -e "process.stdout.write(require('node:crypto').randomBytes(16).toString('hex'))")
  API_KEYS="local:$(node services/api/dist/hash-key.js "$dev_key")"
  export API_KEYS
fi
api_url="http://localhost:${API_PORT:-8080}"
run processor setsid node --max-semi-space-size=16 --max-old-space-size=128 "$REPO_ROOT/services/processor/dist/main.js"
run api setsid node "$REPO_ROOT/services/api/dist/main.js"
# A fresh database gets a few hours of history first, so the dashboard's trends and heatmap are not empty;
# the processor, already running, stores it as the backfill sends it, in offset order before the live run.
if [[ $backfill != 0 ]] && node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON scripts/pipeline-status.ts --fresh; then
  log "fresh database: backfilling the last $backfill of readings first (--no-backfill skips this)..."
  # The run's fleet options apply; its --rate is the live one: the history goes as fast as the broker takes it.
  setsid node "$REPO_ROOT/services/simulator/dist/main.js" --backfill "$backfill" --interval 1m \
    "${simulator_args[@]}" --rate 0 2>&1 | relay backfill
fi
run simulator setsid node "$REPO_ROOT/services/simulator/dist/main.js" "${simulator_args[@]}"
run status setsid node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON "$REPO_ROOT/scripts/pipeline-status.ts" --every 10

cat >&2 <<EOF_INFO

  TelemetryPulse is running. Where to look:
    readings topic     telemetry.events on $KAFKA_BROKERS (dead letters: telemetry.events.dlq)
    dashboard          $api_url/
    API                $api_url/docs  (OpenAPI: $api_url/openapi.json)
    API key            ${dev_key:-from API_KEYS}   (for acknowledging alerts on the dashboard)
    processor          http://127.0.0.1:${PROCESSOR_PORT:-9464}/metrics  /readyz  /healthz
    database           psql "$DATABASE_URL"   (tables raw_events, window_aggregates, alerts)
    dead letters       node services/processor/dist/dlq-cli.js list
  A status line appears every 10 s. Ctrl-C stops everything.

EOF_INFO
wait
