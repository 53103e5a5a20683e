# shellcheck shell=bash
# The single-node cluster's certificates and kubeconfigs, made with openssl into $PKI (scripts/cluster.sh).
# Sourced, never run. One CA signs everything: the API server's serving certificate, each component's
# client certificate (its user and groups are what RBAC and the Node authorizer see), the kubelet's serving
# certificate; a separate RSA key pair signs service-account tokens. A second CA, the front proxy's, signs the
# one certificate the API server shows the extension API servers it proxies to (the aggregation layer: KEDA's
# external metrics, metrics-server), so that they can trust its X-Remote-User headers and nobody else's.

# cert NAME SUBJECT KIND [SAN] [CA]: a 2-year certificate NAME.crt/NAME.key signed by CA (default: ca, the
# cluster's); KIND is server or client.
cert() {
  local name=$1 subject=$2 kind=$3 san=${4:-} ca=${5:-ca} ext=$PKI/$1.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ $kind == server ]]; then echo "extendedKeyUsage=serverAuth"; else echo "extendedKeyUsage=clientAuth"; fi
    [[ -z $san ]] || echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subject" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial -days 730 \
    -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
  chmod 0600 "$PKI/$name.key"
}

# kubeconfig NAME SERVER: $PKI/NAME.kubeconfig authenticating with NAME.crt/NAME.key, certificates embedded.
kubeconfig() {
  local name=$1 server=$2
  cat >"$PKI/$name.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: $CLUSTER_NAME
    cluster:
      server: $server
      certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
  - name: $name
    user:
      client-certificate-data: $(base64 -w0 <"$PKI/$name.crt")
      client-key-data: $(base64 -w0 <"$PKI/$name.key")
contexts:
  - name: $CLUSTER_NAME
    context: { cluster: $CLUSTER_NAME, user: $name }
current-context: $CLUSTER_NAME
YAML
  chmod 0600 "$PKI/$name.kubeconfig"
}

# ca NAME CN: a self-signed 2-year CA NAME.crt/NAME.key.
ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 730 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.crt" 2>/dev/null
  chmod 0600 "$PKI/$1.key"
}

# make_pki: every certificate and kubeconfig the cluster needs, unless they are there already. Each group is
# checked on its own, so that a cluster made before a group existed gets it on its next `up`.
make_pki() {
  mkdir -p "$PKI" && chmod 0700 "$PKI"
  make_cluster_pki
  # The aggregation layer: the API server authenticates to extension API servers with this client certificate.
  if [[ ! -s $PKI/front-proxy-client.crt ]]; then
    ca front-proxy-ca "$CLUSTER_NAME-front-proxy-ca"
    cert front-proxy-client "/CN=front-proxy-client" client "" front-proxy-ca
  fi
}

make_cluster_pki() {
  [[ -s $PKI/admin.kubeconfig ]] && return 0
  ca ca "$CLUSTER_NAME-ca"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  local svc=kubernetes.default.svc
  cert apiserver "/CN=kube-apiserver" server \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:$svc,DNS:$svc.$CLUSTER_DOMAIN,DNS:localhost,IP:$API_SERVICE_IP,IP:$NODE_IP,IP:127.0.0.1"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client
  cert kubelet-server "/CN=$NODE_NAME" server "DNS:$NODE_NAME,IP:$NODE_IP"
  cert admin "/O=system:masters/CN=cluster-admin" client
  cert kube-controller-manager "/CN=system:kube-controller-manager" client
  cert kube-scheduler "/CN=system:kube-scheduler" client
  cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" client
  cert kube-proxy "/CN=system:kube-proxy" client
  cert kube-router "/CN=system:kube-router" client
  local name
  for name in admin kube-controller-manager kube-scheduler kubelet kube-proxy kube-router; do
    kubeconfig "$name" "https://$NODE_IP:$API_PORT"
  done
}
