#!/usr/bin/env bash
# Sets up a fresh machine for understudy, idempotently and offline-friendly:
#  1. Debian packages: haproxy, prometheus, postgresql-15 (only those missing);
#  2. npm packages (npm ci, only when package-lock.json changed since the last install);
#  3. the Pulumi CLI, built from its Go module at a pinned version into .toolchain/ (reused when present);
#  4. the TypeScript build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PULUMI_VERSION=3.259.0
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

# 1. Debian packages
need=()
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
# The kubernetes tests: certificates for the test control plane, and the pod network namespace.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
# The stream replication driver (replication.driver: stream) runs a RabbitMQ node with the streams plugin.
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
if [ ${#need[@]} -gt 0 ]; then
  say "installing Debian packages: ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The packages' own services are not ours: the stack starts its own processes on its own ports.
  for svc in haproxy prometheus postgresql rabbitmq-server; do $sudo_cmd service "$svc" stop >/dev/null 2>&1 || true; done
fi
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
fi

# 2. npm packages
stamp=node_modules/.understudy-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# 3. Pulumi CLI
bin=.toolchain/bin/pulumi
if [ -x "$bin" ] && [ "$("$bin" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  :
elif command -v pulumi >/dev/null 2>&1 && [ "$(pulumi version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
  mkdir -p .toolchain/bin && ln -sf "$(command -v pulumi)" "$bin"
else
  command -v go >/dev/null 2>&1 || { echo "setup: Go is needed to build the Pulumi CLI (no prebuilt download here)" >&2; exit 1; }
  say "building the Pulumi CLI v$PULUMI_VERSION from its Go module (a few minutes, once)"
  start=$(date +%s)
  mkdir -p .toolchain/bin
  (cd tools/pulumi-cli && GOFLAGS=-mod=mod go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$root/$bin" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  say "Pulumi CLI built in $(( $(date +%s) - start )) s"
fi

# 4. Build, and put our TypeScript Node.js language host beside the CLI (its Go one cannot be built
#    here: its module is not served), so `pulumi preview/up --policy-pack` work from the CLI too.
npm run --silent build
ln -sf ../../tools/language-host/pulumi-language-nodejs .toolchain/bin/pulumi-language-nodejs
ln -sf ../../node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs .toolchain/bin/pulumi-resource-pulumi-nodejs
say "ready: $("$bin" version) / node $(node --version)"
