#!/usr/bin/env bash
# Creates the kind cluster `telemetry-pulse` with a local image registry on localhost:5001, as kind's
# local-registry guide does, then points kubectl at it. Safe to rerun: what exists is kept.
#
#   bash k8s/kind/up.sh        then: tilt up
#   bash k8s/kind/down.sh      deletes the cluster and the registry
#
# Needs docker, kind v0.33.0 or newer (cluster.yaml pins that release's node image) and kubectl on the PATH.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER=telemetry-pulse
REGISTRY_NAME=kind-registry
REGISTRY_PORT=5001
REGISTRY_IMAGE=registry:3.0.0

for tool in docker kind kubectl; do
  command -v "$tool" >/dev/null || {
    echo "up.sh: $tool is not on the PATH; see docs/deploy/kind-tilt.md" >&2
    exit 1
  }
done

# 1. The registry container, published on the host's loopback only.
if [[ $(docker inspect -f '{{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true) != true ]]; then
  docker run -d --restart=always -p "127.0.0.1:${REGISTRY_PORT}:5000" --network bridge \
    --name "$REGISTRY_NAME" "$REGISTRY_IMAGE"
fi

# 2. The cluster.
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --config "$HERE/cluster.yaml"
fi

# 3. Inside the node, localhost:5001 is the node itself: map it to the registry container.
registry_dir="/etc/containerd/certs.d/localhost:${REGISTRY_PORT}"
for node in $(kind get nodes --name "$CLUSTER"); do
  docker exec "$node" mkdir -p "$registry_dir"
  printf '[host."http://%s:5000"]\n' "$REGISTRY_NAME" | docker exec -i "$node" cp /dev/stdin "$registry_dir/hosts.toml"
done

# 4. The registry joins the cluster's network (once).
if [[ $(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REGISTRY_NAME") == null ]]; then
  docker network connect kind "$REGISTRY_NAME"
fi

# 5. Document the registry for Tilt (KEP-1755).
kubectl --context "kind-$CLUSTER" apply -f "$HERE/local-registry-hosting.yaml"
kubectl config use-context "kind-$CLUSTER" >/dev/null
echo "kind cluster $CLUSTER is ready (context kind-$CLUSTER, registry localhost:$REGISTRY_PORT); next: tilt up"
