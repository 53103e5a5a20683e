#!/usr/bin/env bash
# Builds kube-apiserver and etcd from this directory's Go sources (through the Go module proxy) into
# .local/kube-bin/<hash of the sources>, unless that exact build is there; prints the directory.
# Called by test/support/kube-api-server.ts and, ahead of jest, by scripts/test.sh. One build at a time.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
fi
hash=$(cat "$here/go.mod" "$here/go.sum" "$here/kube-apiserver/main.go" "$here/etcd/main.go" | sha256sum | cut -c1-12)
dir=$root/.local/kube-bin/$hash
mkdir -p "$root/.local/kube-bin"
exec 9>"$root/.local/kube-bin/.lock"
flock 9
if [[ ! -x $dir/kube-apiserver || ! -x $dir/etcd ]]; then
  command -v go >/dev/null || {
    echo "kube-bin: go is not on PATH; it builds kube-apiserver and etcd for the operator's tests" >&2
    exit 1
  }
  echo "kube-bin: building kube-apiserver and etcd into .local/kube-bin/$hash (go build: about 1-4 min with a warm Go cache, 10-15 cold)..." >&2
  rm -rf "$dir.partial"
  started=$SECONDS
  (cd "$here" && go build -o "$dir.partial/" ./kube-apiserver ./etcd) >&2
  mv "$dir.partial" "$dir"
  echo "kube-bin: built in $((SECONDS - started)) s" >&2
fi
echo "$dir"
