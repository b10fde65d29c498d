#!/usr/bin/env bash
# Builds, once, what the Kubernetes platform's tests need and no registry ships as a binary here:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl v1.32.13 (tools/k8s/control-plane),
#   etcd v3.6.6 (tools/k8s/etcd), kwok v0.8.0 (tools/k8s/kwok), Prometheus 3.16 (tools/k8s/prometheus),
#   pulumi-resource-kubernetes 4.34.2 (tools/k8s/pulumi-kubernetes: the one served pseudo-version),
# and copies the Gateway API v1.4.1 (standard channel) and CloudNativePG v1.28.0 CRDs out of their Go modules.
# Everything lands in .toolchain/k8s/ (git-ignored); a binary already there at its version is reused, so only a
# fresh machine pays the builds (about 25 min on 2 cores). The provider plugin is linked into .toolchain/bin, on the
# PATH the Pulumi engine searches, so the CLI and the Automation API find it offline.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
K8S_VERSION=v1.32.13
ETCD_VERSION=v3.6.6
KWOK_VERSION=v0.8.0
PROVIDER_VERSION=4.34.2
GATEWAY_API_VERSION=v1.4.1
CNPG_VERSION=v1.28.0
PROMETHEUS_MODULE=v0.316.0
out="$root/.toolchain/k8s"
bin="$out/bin"
mkdir -p "$bin" "$out/stamps" "$out/crds"
say() { printf '\033[1mk8s-toolchain:\033[0m %s\n' "$*"; }
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false -modcacherw -mod=mod"
command -v go >/dev/null 2>&1 || { echo "k8s-toolchain: Go is needed to build the Kubernetes control plane (no prebuilt download here)" >&2; exit 1; }

# built <name> <version>: true when .toolchain/k8s/bin/<name> was built at <version>.
built() { [ -x "$bin/$1" ] && [ "$(cat "$out/stamps/$1" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$out/stamps/$1"; }
moddir() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))'; }
timed() { local name=$1; shift; local s; s=$(date +%s); "$@"; say "$name built in $(( $(date +%s) - s )) s"; }

# etcd
if ! built etcd "$ETCD_VERSION"; then
  say "building etcd $ETCD_VERSION (about 1 min)"
  (cd tools/k8s/etcd && timed etcd nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
  stamp etcd "$ETCD_VERSION"
fi

# kwok
if ! built kwok "$KWOK_VERSION"; then
  say "building kwok $KWOK_VERSION (about 4 min)"
  (cd tools/k8s/kwok && timed kwok nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
  stamp kwok "$KWOK_VERSION"
fi

# Prometheus with Kubernetes service discovery: Debian's package is built without it, and the e2e test
# scrapes the pods Prometheus discovers through the API server (module v0.316.0 is Prometheus 3.16.0).
if ! built prometheus "$PROMETHEUS_MODULE"; then
  say "building prometheus $PROMETHEUS_MODULE (about 6 min)"
  (cd tools/k8s/prometheus && timed prometheus nice -n 10 go build -trimpath \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=3.16.0" -o "$bin/prometheus" github.com/prometheus/prometheus/cmd/prometheus)
  stamp prometheus "$PROMETHEUS_MODULE"
fi

# The control plane. Without the version stamps /version says v0.0.0 and clients refuse it.
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
V=k8s.io/component-base/version
CV=k8s.io/client-go/pkg/version
ldflags="-s -w -X $V.gitVersion=$K8S_VERSION -X $V.gitMajor=1 -X $V.gitMinor=$minor -X $V.gitTreeState=clean \
-X $CV.gitVersion=$K8S_VERSION -X $CV.gitMajor=1 -X $CV.gitMinor=$minor"
for c in kubectl kube-scheduler kube-controller-manager kube-apiserver; do
  built "$c" "$K8S_VERSION" && continue
  say "building $c $K8S_VERSION (kube-apiserver takes about 15 min, the others less)"
  (cd tools/k8s/control-plane && timed "$c" nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$bin/$c" "k8s.io/kubernetes/cmd/$c")
  stamp "$c" "$K8S_VERSION"
done

# pulumi-resource-kubernetes. Upstream's main embeds schema-embed.json, which its Makefile generates and the
# module zip lacks: embed the module's own schema.json (and terraform-mapping.json) instead.
if ! built pulumi-resource-kubernetes "$PROVIDER_VERSION"; then
  say "building pulumi-resource-kubernetes $PROVIDER_VERSION (about 7 min)"
  pdir=tools/k8s/pulumi-kubernetes
  mod=$(cd "$pdir" && go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 | moddir)
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$pdir/go.mod" "$pdir/main.go" "$work/"
  [ -f "$pdir/go.sum" ] && cp "$pdir/go.sum" "$work/"
  node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify(JSON.parse(fs.readFileSync(process.argv[1],"utf8"))))' \
    "$mod/cmd/pulumi-resource-kubernetes/schema.json" "$work/schema-embed.json"
  cp "$mod/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$work/terraform-mapping.json"
  (cd "$work" && timed pulumi-resource-kubernetes nice -n 10 go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PROVIDER_VERSION" \
    -o "$bin/pulumi-resource-kubernetes" .)
  cp "$work/go.sum" "$pdir/go.sum"
  stamp pulumi-resource-kubernetes "$PROVIDER_VERSION"
fi

# The engine prefers a plugin found on PATH, and every flow (scripts/pulumi, automation/engine.ts) puts
# .toolchain/bin on PATH: the CLI and the Automation API find the provider offline, whatever PULUMI_HOME is.
ln -sf ../k8s/bin/pulumi-resource-kubernetes "$root/.toolchain/bin/pulumi-resource-kubernetes"

# CRDs, from the projects' Go modules (their release manifests are not reachable here).
crds() { # crds <module@version> <subdir> <dest>
  local dir
  dir=$(cd /tmp && go mod download -json "$1" | moddir)
  rm -rf "$3" && mkdir -p "$3" && cp "$dir/$2"/*.yaml "$3/" && chmod -R u+w "$3"
}
[ -f "$out/crds/gateway-api/.version" ] && [ "$(cat "$out/crds/gateway-api/.version")" = "$GATEWAY_API_VERSION" ] || {
  crds "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" config/crd/standard "$out/crds/gateway-api"
  rm -f "$out/crds/gateway-api/kustomization.yaml"
  echo "$GATEWAY_API_VERSION" > "$out/crds/gateway-api/.version"
}
[ -f "$out/crds/cloudnative-pg/.version" ] && [ "$(cat "$out/crds/cloudnative-pg/.version")" = "$CNPG_VERSION" ] || {
  crds "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION" config/crd/bases "$out/crds/cloudnative-pg"
  echo "$CNPG_VERSION" > "$out/crds/cloudnative-pg/.version"
}
say "ready: $("$bin/kube-apiserver" --version 2>/dev/null), etcd $ETCD_VERSION, kwok $KWOK_VERSION, pulumi-resource-kubernetes $PROVIDER_VERSION"
