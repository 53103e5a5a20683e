#!/usr/bin/env bash
# Deletes the kind cluster `telemetry-pulse` and its local registry container (k8s/kind/up.sh made both).
set -euo pipefail

kind delete cluster --name telemetry-pulse
if docker inspect kind-registry >/dev/null 2>&1; then
  docker rm -f kind-registry >/dev/null
fi
echo "kind cluster telemetry-pulse and registry kind-registry removed"
