#!/usr/bin/env bash
# with-infra.sh COMMAND...: installs node dependencies when needed, compiles, brings Kafka and
# PostgreSQL up, exports KAFKA_BROKERS and DATABASE_URL, then runs COMMAND (benchmarks use it).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX='bench'
cd "$REPO_ROOT"
if [[ $# -eq 0 || $1 == --help || $1 == -h ]]; then
  echo "Usage: scripts/with-infra.sh COMMAND [ARGS...]: runs COMMAND with Kafka and PostgreSQL up and"
  echo "KAFKA_BROKERS and DATABASE_URL exported (installing and compiling first when needed)"
  [[ $# -eq 0 ]] && exit 2
  exit 0
fi
# `npm run bench:x -- --help` asks the command for its options: no infrastructure needed for that.
for arg in "${@:2}"; do
  [[ $arg == --help || $arg == -h ]] && exec "$@"
done
use_project_node
install_node_modules
npx --no-install tsc --build
bash scripts/infra.sh up
eval "$(bash scripts/infra.sh env)"
export KAFKA_BROKERS DATABASE_URL
exec "$@"
