#!/usr/bin/env bash
# Builds Kubernetes v1.34.4 components from this directory's Go sources (through the Go module proxy) into
# .local/kube-bin/<hash of the sources>, skipping those already built there; prints the directory.
# Usage: build.sh [COMPONENT...]   (default: kube-apiserver etcd; `all` for every one of them:
#        kube-apiserver etcd kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
# Called by test/support/kube-api-server.ts, scripts/test.sh and scripts/cluster.sh. One build at a time.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
all=(kube-apiserver etcd kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
fi
wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=(kube-apiserver etcd)
[[ ${wanted[0]} != all ]] || wanted=("${all[@]}")
for c in "${wanted[@]}"; do
  [[ -f $here/$c/main.go ]] || {
    echo "kube-bin: no component '$c' (one of: ${all[*]})" >&2
    exit 2
  }
done
version=v1.34.4 # k8s.io/kubernetes in go.mod: the version the binaries report (Helm checks kubeVersion)
hash=$(cat "${BASH_SOURCE[0]}" "$here/go.mod" "$here/go.sum" "$here"/*/main.go | sha256sum | cut -c1-12)
dir=$root/.local/kube-bin/$hash
mkdir -p "$dir"
exec 9>"$root/.local/kube-bin/.lock"
flock 9
missing=()
for c in "${wanted[@]}"; do [[ -x $dir/$c ]] || missing+=("./$c"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  command -v go >/dev/null || {
    echo "kube-bin: go is not on PATH; it builds ${missing[*]#./} (Kubernetes v1.34.4) from the Go module proxy" >&2
    exit 1
  }
  echo "kube-bin: building ${missing[*]#./} into .local/kube-bin/$hash (go build: about 1-4 min each with a warm Go cache, 10-15 cold)..." >&2
  rm -rf "$dir/.partial"
  started=$SECONDS
  pkg=k8s.io/component-base/version
  ldflags="-X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=34 -X $pkg.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=34"
  (cd "$here" && go build -ldflags "$ldflags" -o "$dir/.partial/" "${missing[@]}") >&2
  mv "$dir"/.partial/* "$dir/"
  rmdir "$dir/.partial"
  echo "kube-bin: built in $((SECONDS - started)) s" >&2
  # Builds of earlier sources are never used again.
  find "$root/.local/kube-bin" -mindepth 1 -maxdepth 1 -type d ! -path "$dir" -exec rm -rf {} +
fi
echo "$dir"
