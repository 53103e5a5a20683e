#!/usr/bin/env bash
# Issue 8: the reliability suite. Runs every fault scenario (test/reliability) on a private Kafka broker
# and PostgreSQL that it starts and removes itself, plus the hostile-input tests
# (test/integration/*hostile*.test.ts) when they exist, then prints one table.
# Run `scripts/reliability.sh --help` for options.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX='reliability'
cd "$REPO_ROOT"

usage() {
  cat <<'USAGE'
Usage: scripts/reliability.sh [options] [-- jest arguments]   (also: npm run test:reliability -- ...)

Runs the fault scenarios of issue 8 on a private Kafka 4 broker and PostgreSQL (free loopback ports,
state in .local/reliability/, removed afterwards; the shared servers on 9092/5432 are never faulted),
then prints a table: scenario, fault, faults injected, events accepted by Kafka, lost, duplicated, time
to recover, result. About 20 minutes with the default 10-minute soak.

Options:
  --soak SECONDS   duration of the soak (scenario 10) [600]; 0 skips the soak
  --seed N         seed of every scenario's traffic and fault timing [random, printed]
  --short          only the subset `npm test` runs (kill -9 x3, broker paused,
                   pg_terminate_backend, replay), about 2.5 minutes
  --only REGEX     only scenarios whose name matches (jest -t), e.g. --only '4a|4b'
  --processor-nice N
                   niceness of the soak's processors (0-19) [10]: the API benchmark's stand-in
                   for a cluster's CPU requests, so the API's requests win the CPU from ingestion
  --keep           keep .local/reliability/run-* (processor logs, data) for a look afterwards
  -h, --help       this text

Environment: RELIABILITY_STORM_SECONDS [120] and RELIABILITY_PARTITION_SECONDS [30] shorten
scenarios 5 and 4; KAFKA_VERSION [4.1.1] selects the jars in .local/kafka/<version>/libs.

Writes test-results/reliability.md (the table) and test-results/reliability.jsonl (one row per
scenario). Exit code: 0 when every scenario passed.
USAGE
}

full=1 soak=600 seed='' only='' nice=10 jest_args=()
while (($#)); do
  case $1 in
    --soak) soak=${2:?--soak needs seconds}; shift 2 ;;
    --seed) seed=${2:?--seed needs a number}; shift 2 ;;
    --short) full=0; shift ;;
    --only) only=${2:?--only needs a pattern}; shift 2 ;;
    --processor-nice) nice=${2:?--processor-nice needs a niceness}; shift 2 ;;
    --keep) export RELIABILITY_KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; jest_args=("$@"); break ;;
    *) die "unknown option '$1'" "see scripts/reliability.sh --help" ;;
  esac
done
[[ $soak =~ ^[0-9]+$ ]] || die "--soak must be whole seconds, got '$soak'"
if [[ ! $nice =~ ^[0-9]+$ ]] || ((nice > 19)); then
  die "--processor-nice must be 0-19, got '$nice'"
fi
export RELIABILITY_PROCESSOR_NICE=$nice

use_project_node
install_node_modules
log "compiling TypeScript (tsc --build)..."
npx --no-install tsc --build

# infra.sh fetches the Kafka jars and installs PostgreSQL when missing (the private servers run from
# them), and starts the shared servers the hostile-input tests use. Nothing here faults those.
bash scripts/infra.sh up
eval "$(bash scripts/infra.sh env)"
# The reliability tests run a private broker and PostgreSQL from these, whatever KAFKA_BROKERS says.
bash scripts/infra.sh fetch

mkdir -p test-results
report=test-results/reliability.jsonl
jest_json=test-results/reliability-jest.json
: >"$report"
export RELIABILITY_REPORT=$REPO_ROOT/$report RELIABILITY_FULL=$full RELIABILITY_SOAK_SECONDS=$soak
# One seed for every test file, so the printed one reproduces the whole run.
[[ -n $seed ]] || seed=$((RANDOM * 32768 + RANDOM))
[[ $seed =~ ^[0-9]+$ ]] || die "--seed must be a whole number, got '$seed'"
export RELIABILITY_SEED=$seed

files=(test/reliability/fault-proxy.test.ts test/reliability/api-probe.test.ts test/reliability/faults.test.ts)
((full && soak > 0)) && files+=(test/reliability/soak.test.ts)
shopt -s nullglob
hostile=(test/integration/*hostile*.test.ts)
shopt -u nullglob
files+=("${hostile[@]}")
pattern=()
[[ -n $only ]] && pattern=(-t "$only")

log "running ${#files[@]} test files (full=$full, soak ${soak} s, seed $seed)${only:+, only $only}"
status=0
npx --no-install jest -c test/reliability/jest.config.cjs --runInBand --json --outputFile="$jest_json" \
  "${pattern[@]}" "${jest_args[@]}" "${files[@]}" || status=$?

node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON scripts/reliability-report.ts "$report" "$jest_json" | tee test-results/reliability.md
log "table written to test-results/reliability.md; jest exited with $status"
exit "$status"
