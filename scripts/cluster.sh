#!/usr/bin/env bash
# A real single-node Kubernetes v1.34.4 cluster on this machine, without Docker or kind:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a kubelet on containerd + runc,
#   CNI bridge pod networking, kube-proxy (iptables) for Services, CoreDNS, PodSecurity admission,
#   kube-router's firewall enforcing NetworkPolicies.
# Components are built from the Go module proxy (scripts/kubernetes, cached in .local/kube-bin); the node
# lives in its own network namespace, so its bridge, veths and iptables rules go with it.
#
# Usage: scripts/cluster.sh COMMAND
#   up                 start the cluster (idempotent); prints the kubeconfig to use
#   down [--keep-logs] stop every process and remove every mount, interface, cgroup and file `up` made
#   status             each component's process and health, the node and the pods
#   logs [COMPONENT]   the last 60 lines of every component's log, or all of one (etcd, kube-apiserver,
#                      kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy, kube-router)
#   load-images REF... import images from podman's store into the node's containerd
#   kubeconfig         print the admin kubeconfig's path (export KUBECONFIG=$(scripts/cluster.sh kubeconfig))
#   kubectl ARGS...    run the cluster's own kubectl with the admin kubeconfig
#   ctr ARGS...        run ctr on the node's containerd (namespace k8s.io), e.g. ctr images ls
#   keda [build|render|uninstall]  install KEDA v2.21.0 (opt-in; built from the Go module proxy, about 20 min
#                      cold, cached in .local/cluster/cache); build: binaries and images only; render: print
#                      the manifests; uninstall: remove it (scripts/cluster/keda.sh)
# Needs root. Installs Debian's containerd, runc, containernetworking-plugins, iptables, ipset, podman, buildah
# and gcc when missing. See docs/kubernetes.md.
set -euo pipefail
LOG_PREFIX=cluster
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLUSTER_NAME=telemetry-pulse
NODE_NAME=tp-node
NETNS=tp-node                # the node's network namespace
HOST_IF=tpc-host HOST_IP=10.250.0.1 NODE_IP=10.250.0.2 LINK_PREFIX=24
POD_CIDR=10.244.0.0/24 BRIDGE=tpc0 CNI_NETWORK=telemetry-pulse-cluster
SERVICE_CIDR=10.96.0.0/16 API_SERVICE_IP=10.96.0.1 DNS_IP=10.96.0.10 CLUSTER_DOMAIN=cluster.local
API_PORT=6443 ETCD_PORT=12379 ETCD_PEER_PORT=12380
RELEASE_NAMESPACE=${CLUSTER_RELEASE_NAMESPACE:-telemetry-pulse}

# Resolved: mounts are listed by their real path, and .local/cluster may be a link (a worktree sharing a cluster).
CLUSTER_HOME=$(realpath -m "$LOCAL_DIR/cluster")
CLUSTER_CACHE=$CLUSTER_HOME/cache # kept by down: builds
CLUSTER_STATE=$CLUSTER_HOME/state # removed by down
CLUSTER_LOGS=$CLUSTER_HOME/logs   # removed by down unless --keep-logs
PKI=$CLUSTER_STATE/pki
RUN_DIR=/run/telemetry-pulse-cluster # containerd's state and socket, runc's state
CONTAINERD_SOCK=$RUN_DIR/containerd.sock
KUBECONFIG_ADMIN=$PKI/admin.kubeconfig
KUBE_SOURCES=$REPO_ROOT/scripts/kubernetes
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-router)
# shellcheck source=scripts/cluster/pki.sh
source "$REPO_ROOT/scripts/cluster/pki.sh"
# shellcheck source=scripts/cluster/images.sh
source "$REPO_ROOT/scripts/cluster/images.sh"
# shellcheck source=scripts/cluster/keda.sh
source "$REPO_ROOT/scripts/cluster/keda.sh"

usage() { sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

kube_bin() { cat "$CLUSTER_STATE/kube-bin" 2>/dev/null || die "the cluster's binaries are not built" "run: scripts/cluster.sh up"; }
kctl() { "$(kube_bin)/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_node() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
in_node() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
pid_of() { cat "$CLUSTER_STATE/pids/$1" 2>/dev/null || true; }
running() {
  local pid
  pid=$(pid_of "$1")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# wait_until SECONDS COMPONENT WHAT CMD...: polls CMD every second; on timeout names the component and its log.
wait_until() {
  local limit=$1 component=$2 what=$3 i
  shift 3
  for ((i = 0; i < limit; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ $component != - ]] && ! running "$component"; then
      tail -n 25 "$CLUSTER_LOGS/$component.log" >&2 || true
      die "$component exited while waiting for $what" "log: $CLUSTER_LOGS/$component.log"
    fi
    sleep 1
  done
  [[ $component == - ]] || tail -n 25 "$CLUSTER_LOGS/$component.log" >&2 || true
  die "timed out after ${limit} s waiting for $what" "log: $CLUSTER_LOGS/${component/-/kubelet}.log" "status: scripts/cluster.sh status"
}

# start COMPONENT CMD...: runs CMD in the node's network namespace, in its own session, logging to its file.
start() {
  local component=$1
  shift
  running "$component" && return 0
  log "starting $component"
  nsenter --net="/run/netns/$NETNS" -- setsid "$@" >>"$CLUSTER_LOGS/$component.log" 2>&1 </dev/null &
  echo $! >"$CLUSTER_STATE/pids/$component"
}

ensure_packages() {
  local missing=()
  have containerd || missing+=(containerd)
  have runc || missing+=(runc)
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  have iptables || missing+=(iptables)
  have conntrack || missing+=(conntrack)
  have ipset || missing+=(ipset)
  have podman || missing+=(podman)
  have buildah || missing+=(buildah)
  have gcc || missing+=(gcc libc6-dev)
  have openssl || missing+=(openssl)
  [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
  have go || [[ -x /usr/local/go/bin/go ]] || die "go is not installed" "it builds Kubernetes and CoreDNS from the Go module proxy"
  have go || PATH=/usr/local/go/bin:$PATH
}

preflight() {
  [[ $(id -u) == 0 ]] || die "the cluster needs root (network namespaces, mounts, cgroups)"
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || die "no memory cgroup controller mounted"
  local clash
  clash=$(ip -4 -o addr show | awk '{print $2, $4}' | grep -E ' 10\.(250\.0|244\.0|96)\.' | grep -v "^$HOST_IF " || true)
  [[ -z $clash ]] || die "an interface already uses the cluster's addresses: $clash" \
    "the cluster uses $HOST_IP/$LINK_PREFIX, $POD_CIDR and $SERVICE_CIDR"
}

network_up() {
  [[ -e /run/netns/$NETNS ]] && return 0
  log "network: namespace $NETNS, link $HOST_IF $HOST_IP <-> $NODE_IP, routes to $POD_CIDR and $SERVICE_CIDR"
  ip netns add "$NETNS"
  ip link add "$HOST_IF" type veth peer name eth0 netns "$NETNS"
  ip addr add "$HOST_IP/$LINK_PREFIX" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" addr add "$NODE_IP/$LINK_PREFIX" dev eth0
  ip -n "$NETNS" link set eth0 up
  ip -n "$NETNS" route add default via "$HOST_IP"
  ip route add "$POD_CIDR" via "$NODE_IP"
  ip route add "$SERVICE_CIDR" via "$NODE_IP"
  ip netns exec "$NETNS" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1
  ip netns exec "$NETNS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 ||
    die "net.bridge.bridge-nf-call-iptables cannot be set in the node's namespace (br_netfilter not loaded?)"
}

write_configs() {
  mkdir -p "$CLUSTER_STATE"/{pids,cni/net.d,cni/ipam,kubelet,pod-logs,etcd} "$RUN_DIR"
  cat >"$CLUSTER_STATE/cni/net.d/10-$CNI_NETWORK.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": "$CLUSTER_STATE/cni/ipam" }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
  cat >"$CLUSTER_STATE/containerd.toml" <<TOML
version = 2
root = "$CLUSTER_STATE/containerd"
state = "$RUN_DIR/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Without CAP_SYS_RESOURCE runc cannot lower a sandbox's OOM score below containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$RUN_DIR/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CLUSTER_STATE/cni/net.d"
TOML
  cat >"$CLUSTER_STATE/admission.yaml" <<YAML
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      # Every namespace at least baseline; the release namespace is labelled restricted (see namespaces()).
      defaults: { enforce: baseline, enforce-version: latest, warn: restricted, warn-version: latest, audit: restricted, audit-version: latest }
      exemptions: { usernames: [], runtimeClasses: [], namespaces: [] }
YAML
  local resolv=$CLUSTER_STATE/resolv.conf
  grep -E '^nameserver' /etc/resolv.conf 2>/dev/null | grep -vE ' (127\.|::1)' >"$resolv" || true
  [[ -s $resolv ]] || echo "# no upstream nameserver reachable from pods" >"$resolv"
  cat >"$CLUSTER_STATE/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
address: $NODE_IP
healthzBindAddress: 127.0.0.1
tlsCertFile: $PKI/kubelet-server.crt
tlsPrivateKeyFile: $PKI/kubelet-server.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# cgroup v1 controllers with a unified mount (hybrid): cgroupfs, and no refusal of v1.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $resolv
podLogsDir: $CLUSTER_STATE/pod-logs
serializeImagePulls: false
evictionHard: { memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
YAML
  cat >"$CLUSTER_STATE/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $PKI/kube-proxy.kubeconfig }
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# The sandbox may not raise nf_conntrack_max: leave the kernel's value.
conntrack: { maxPerCore: 0 }
YAML
}

start_control_plane() {
  local bin
  bin=$(kube_bin)
  start etcd "$bin/etcd" "$CLUSTER_STATE/etcd" "http://127.0.0.1:$ETCD_PORT" "http://127.0.0.1:$ETCD_PEER_PORT"
  wait_until 60 etcd "etcd to be ready" grep -q "etcd ready" "$CLUSTER_LOGS/etcd.log"
  start kube-apiserver "$bin/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=0.0.0.0 --secure-port="$API_PORT" --advertise-address="$NODE_IP" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --admission-control-config-file="$CLUSTER_STATE/admission.yaml" \
    --allow-privileged=false --profiling=false
  wait_until 120 kube-apiserver "kube-apiserver's /readyz" kctl get --raw /readyz
  start kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-name="$CLUSTER_NAME" --profiling=false \
    --allocate-node-cidrs=true --cluster-cidr="$POD_CIDR" --node-cidr-mask-size="${POD_CIDR#*/}"
  start kube-scheduler "$bin/kube-scheduler" \
    --kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false
}

start_node() {
  local bin
  bin=$(kube_bin)
  start containerd containerd --config "$CLUSTER_STATE/containerd.toml"
  wait_until 60 containerd "containerd's socket" ctr_node version
  import_images "$PAUSE_IMAGE" "$COREDNS_IMAGE"
  start kubelet "$bin/kubelet" --config="$CLUSTER_STATE/kubelet.yaml" \
    --kubeconfig="$PKI/kubelet.kubeconfig" --root-dir="$CLUSTER_STATE/kubelet" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
  start kube-proxy "$bin/kube-proxy" --config="$CLUSTER_STATE/kube-proxy.yaml"
  wait_until 120 kubelet "node $NODE_NAME to be Ready" kctl wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s
  # kube-router finds its node by name: after the kubelet registered it.
  kctl apply -f "$REPO_ROOT/scripts/cluster/manifests/kube-router-rbac.yaml" >/dev/null
  start kube-router "$(cat "$CLUSTER_STATE/kube-router-bin")" --kubeconfig="$PKI/kube-router.kubeconfig" \
    --hostname-override="$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
    --enable-cni=false --enable-ipv6=false --service-cluster-ip-range="$SERVICE_CIDR" --health-port=20244
  wait_until 60 kube-router "kube-router's firewall to be healthy" in_node curl -sf http://127.0.0.1:20244/healthz
}

addons() {
  sed -e "s|__COREDNS_IMAGE__|$COREDNS_IMAGE|" -e "s|__DNS_IP__|$DNS_IP|" -e "s|__CLUSTER_DOMAIN__|$CLUSTER_DOMAIN|" \
    -e "s|^ *__FORWARD__\$|$(grep -q '^nameserver' "$CLUSTER_STATE/resolv.conf" && echo '        forward . /etc/resolv.conf')|" \
    "$REPO_ROOT/scripts/cluster/manifests/coredns.yaml" | kctl apply -f - >/dev/null
  kctl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $RELEASE_NAMESPACE
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
YAML
  wait_until 180 - "CoreDNS to be Ready (kubectl -n kube-system describe pod -l k8s-app=kube-dns)" \
    kctl -n kube-system rollout status deployment/coredns --timeout=1s
}

cmd_up() {
  local started=$SECONDS bin
  preflight
  ensure_packages
  mkdir -p "$CLUSTER_STATE/pids" "$CLUSTER_LOGS" "$CLUSTER_CACHE"
  bin=$(bash "$KUBE_SOURCES/build.sh" all) || die "building the Kubernetes components failed (output above)"
  echo "$bin" >"$CLUSTER_STATE/kube-bin"
  kube_router_binary >"$CLUSTER_STATE/kube-router-bin"
  cluster_images
  network_up
  make_pki
  write_configs
  start_control_plane
  start_node
  addons
  log "up in $((SECONDS - started)) s: node $NODE_NAME Ready, CoreDNS Ready; namespace $RELEASE_NAMESPACE enforces restricted"
  log "export KUBECONFIG=$KUBECONFIG_ADMIN   (kubectl: $(kube_bin)/kubectl, or scripts/cluster.sh kubectl ...)"
  log "the host is $HOST_IP from the pods; pods $POD_CIDR and Services $SERVICE_CIDR are routed from the host"
}

stop_component() {
  local component=$1 pid i
  pid=$(pid_of "$component")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$component did not stop within 10 s of SIGTERM: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

# remove_pods: with the controllers stopped, every pod is deleted and the kubelet tears its sandbox down (CNI DEL
# releases the address, the veth and the port mappings); bounded at 60 s, the rest is forced below.
remove_pods() {
  running kube-apiserver && running kubelet || return 0
  kctl delete pods --all-namespaces --all --wait=false >/dev/null 2>&1 || return 0
  local i
  for ((i = 0; i < 60; i++)); do
    [[ -z $(ctr_node tasks ls -q 2>/dev/null) ]] && return 0
    sleep 1
  done
  log "pods still running after 60 s; forcing them down"
}

# force_runtime_down: whatever containers and shims survived the kubelet, by runc's own state.
force_runtime_down() {
  local id pid
  if [[ -d $RUN_DIR/runc/k8s.io ]]; then
    for id in $(runc --root "$RUN_DIR/runc/k8s.io" list -q 2>/dev/null); do
      runc --root "$RUN_DIR/runc/k8s.io" kill -a "$id" KILL 2>/dev/null || true
      runc --root "$RUN_DIR/runc/k8s.io" delete -f "$id" 2>/dev/null || true
    done
  fi
  for pid in $(pgrep -f "containerd-shim.*-address $CONTAINERD_SOCK" || true); do kill -KILL "$pid" 2>/dev/null || true; done
}

# remove_pod_netns: pod network namespaces left behind (their eth0 is in the cluster's pod range).
remove_pod_netns() {
  local ns prefix=${POD_CIDR%.*}.
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do
    if ip -n "$ns" -4 -o addr show 2>/dev/null | grep -q " inet ${prefix//./\\.}"; then ip netns delete "$ns"; fi
  done
}

unmount_all() {
  local target
  for target in $(findmnt -rn -o TARGET | grep -E "^($CLUSTER_STATE|$RUN_DIR)(/|$)" | sort -r); do
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || log "could not unmount $target"
  done
}

# remove_cgroups: the kubelet's kubepods hierarchy under every controller (cgroupfs driver), deepest first.
remove_cgroups() {
  local base
  for base in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/unified/kubepods; do
    [[ -d $base ]] || continue
    find "$base" -depth -type d -exec rmdir {} + 2>/dev/null || log "could not remove every cgroup under $base"
  done
}

cmd_down() {
  local keep_logs=false component
  [[ ${1:-} == --keep-logs ]] && keep_logs=true
  stop_component kube-controller-manager
  stop_component kube-scheduler
  remove_pods
  stop_component kubelet
  force_runtime_down
  stop_component containerd
  if running kube-proxy || [[ -e /run/netns/$NETNS ]]; then
    stop_component kube-proxy
    if [[ -e /run/netns/$NETNS && -x $(cat "$CLUSTER_STATE/kube-bin" 2>/dev/null)/kube-proxy ]]; then
      in_node "$(kube_bin)/kube-proxy" --cleanup >/dev/null 2>&1 || true
    fi
  fi
  stop_component kube-router
  stop_component kube-apiserver
  stop_component etcd
  for component in "${COMPONENTS[@]}"; do stop_component "$component"; done
  [[ -e /run/netns/$NETNS ]] && remove_pod_netns
  unmount_all
  ip link delete "$HOST_IF" 2>/dev/null || true
  [[ -e /run/netns/$NETNS ]] && ip netns delete "$NETNS"
  remove_cgroups
  rm -rf "$CLUSTER_STATE" "$RUN_DIR" /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null || true
  [[ -e $CLUSTER_STATE ]] && die "could not remove $CLUSTER_STATE (still mounted? findmnt | grep $CLUSTER_STATE)"
  $keep_logs || rm -rf "$CLUSTER_LOGS"
  log "down: processes, mounts, network namespace $NETNS, $HOST_IF, cgroups and state removed"
}

cmd_status() {
  local component pid state rc=0
  for component in "${COMPONENTS[@]}"; do
    pid=$(pid_of "$component")
    if running "$component"; then state="running (pid $pid)"; else state="stopped"; rc=1; fi
    printf '%-24s %s\n' "$component" "$state"
  done
  [[ -e /run/netns/$NETNS ]] && echo "network namespace $NETNS: $HOST_IP <-> $NODE_IP" || echo "network namespace $NETNS: absent"
  if running kube-apiserver; then
    kctl get nodes -o wide 2>&1 || rc=1
    kctl get pods --all-namespaces -o wide 2>&1 || rc=1
  fi
  return "$rc"
}

cmd_logs() {
  local component
  if [[ -n ${1:-} ]]; then
    [[ -f $CLUSTER_LOGS/$1.log ]] || die "no log for '$1'" "one of: ${COMPONENTS[*]}"
    cat "$CLUSTER_LOGS/$1.log"
    return
  fi
  for component in "${COMPONENTS[@]}"; do
    [[ -f $CLUSTER_LOGS/$component.log ]] || continue
    echo "==> $component ($CLUSTER_LOGS/$component.log) <=="
    tail -n 60 "$CLUSTER_LOGS/$component.log"
  done
}

case ${1:-} in
  up) cmd_up ;;
  down) shift && cmd_down "$@" ;;
  status) cmd_status ;;
  logs) shift && cmd_logs "$@" ;;
  load-images)
    shift
    [[ $# -gt 0 ]] || die "load-images needs at least one image reference"
    running containerd || die "the cluster is not up" "run: scripts/cluster.sh up"
    import_images "$@"
    ;;
  kubeconfig) echo "$KUBECONFIG_ADMIN" ;;
  kubectl) shift && kctl "$@" ;;
  ctr) shift && ctr_node "$@" ;;
  keda) shift && cmd_keda "$@" ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
