#!/usr/bin/env bash
# What `npm run test:cluster` runs: the Helm chart installed on a real single-node cluster (scripts/cluster.sh)
# with the images `npm run images` builds, against a Kafka broker and a PostgreSQL of the host's, then the
# assertions of test/cluster (jest project "cluster"). Arguments go to jest.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=test-cluster
cd "$REPO_ROOT"

if [[ ${1:-} == --help || ${1:-} == -h ]]; then
  cat <<'USAGE'
Usage: npm run test:cluster [-- jest arguments]   (that is scripts/test-cluster.sh)

Builds the images (npm run images), starts the single-node cluster (scripts/cluster.sh up) unless it is up,
imports the images into its containerd, and runs test/cluster: helm install of charts/telemetry-pulse with
ci/extras-values.yaml and an external-services values file, then readiness under the restricted Pod
Security level, migrations, the pipeline's SQL counts, the API through its Service, helm test,
NetworkPolicies, a processor pod deleted mid-stream, helm upgrade to a new tag, helm uninstall; then
the chart in operator mode (test/cluster/operator.test.ts): a TelemetryPipeline made Ready by the operator,
rollouts and drift repair, lag-based scaling up and down with the consumer group's assignment, a crash
loop reported as Stalled, leader failover between two operator replicas, deletion.
Needs root. Environment:
  CLUSTER_KEEP=1   leave the cluster up afterwards (it is also left up when it was up before)
  TP_KEDA=1        also install KEDA (scripts/cluster.sh keda: built from the Go module proxy, about 20 min
                   cold) and run test/cluster/keda.test.ts, the chart's KEDA mode; `npm run test:cluster:keda`
                   runs that file alone
Cold (nothing built): about 30 min; warm: about 15 min. See docs/kubernetes.md.
USAGE
  exit 0
fi
[[ $(id -u) == 0 ]] || die "the cluster test needs root (scripts/cluster.sh: namespaces, mounts, cgroups)"

use_project_node
install_node_modules
started=$SECONDS
log "compiling TypeScript (tsc --build)..."
npx --no-install tsc --build
bash scripts/tools.sh install
# The host's Kafka and PostgreSQL for the pods are private ones the test starts (test/cluster/support).
bash scripts/infra.sh fetch
log "building the images (npm run images)..."
node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON scripts/images.ts >&2

was_up=false
bash scripts/cluster.sh status >/dev/null 2>&1 && was_up=true
if ! $was_up; then bash scripts/cluster.sh up; fi
if ! $was_up && [[ ${CLUSTER_KEEP:-} != 1 ]]; then
  trap 'bash scripts/cluster.sh down --keep-logs || true' EXIT
fi
version=$(node -p 'require("./package.json").version')
images=()
for component in simulator processor api operator; do images+=("localhost/telemetry-pulse/$component:$version"); done
bash scripts/cluster.sh load-images "${images[@]}"
if [[ ${TP_KEDA:-} == 1 ]]; then bash scripts/cluster.sh keda; fi
log "cluster and images ready after $((SECONDS - started)) s; running test/cluster"

export CLUSTER_KUBECONFIG CLUSTER_BIN
CLUSTER_KUBECONFIG=$(bash scripts/cluster.sh kubeconfig)
CLUSTER_BIN=$(bash scripts/kubernetes/build.sh all)
status=0
# Paths and options before --selectProjects: after it jest reads every word as a project name.
TP_CLUSTER=1 npx --no-install jest "$@" --selectProjects cluster || status=$?
if [[ $status != 0 ]]; then
  log "failed; component logs: .local/cluster/logs (scripts/cluster.sh logs)"
fi
exit "$status"
