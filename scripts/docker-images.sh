#!/usr/bin/env bash
# Builds, locally and once, the images the docker platform's real test runs (no Docker Hub here):
#   understudy/debian:bookworm    debootstrap minbase rootfs from the Debian mirror, imported
#   understudy/haproxy:2.6        Debian's haproxy          (tools/docker/haproxy)
#   understudy/postgres:15        Debian's postgresql-15    (tools/docker/postgres)
#   understudy/prometheus:2.42    Debian's prometheus       (tools/docker/prometheus)
#   understudy/orders:latest      the demo service          (tools/docker/service)
# Images live in the engine's data root (.toolchain/docker, git-ignored): a second run reuses the base
# image and every cached layer; only a changed Dockerfile or changed service code builds again (a
# changed base recipe or mirror rebuilds everything).
# The Debian mirror is the host's own (its apt sources; DEBIAN_MIRROR overrides), and the images' apt
# gets the host's proxy and Release-date settings: a machine whose only way out is its Debian proxy
# builds them too. Starts the engine when it is not running and stops it again afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
D="${UNDERSTUDY_DOCKER_DIR:-$root/.toolchain/docker}"

# The first URI of the host's apt sources ending in /<suffix> (one-line and deb822 formats).
host_uri() {
  { grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }'
    grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources | awk '{ for (i = 2; i <= NF; i++) print $i }'
  } | sed 's:/*$::' | grep -E "^https?://.*/$1\$" | head -n 1 || true
}
MIRROR="${DEBIAN_MIRROR:-$(host_uri debian)}"; MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY="${DEBIAN_SECURITY_MIRROR:-$(host_uri debian-security)}"; SECURITY="${SECURITY:-${MIRROR%/debian}/debian-security}"
# apt's proxy on the host, for debootstrap (wget) when the environment names none.
APT_PROXY=""; eval "$(apt-config shell APT_PROXY Acquire::http::Proxy 2>/dev/null || true)"
[ -n "${http_proxy:-}" ] || [ -z "$APT_PROXY" ] || export http_proxy="$APT_PROXY"

started=""
bash scripts/docker-engine.sh status || started=1
export DOCKER_HOST; DOCKER_HOST="$(bash scripts/docker-engine.sh start)"
# Left as found: stopped again when this run started it.
[ -z "$started" ] || trap 'bash scripts/docker-engine.sh stop' EXIT
# Debian's CLI, the same release as the daemon.
docker() { /usr/bin/docker "$@"; }
say() { printf '\033[1mdocker-images:\033[0m %s\n' "$*"; }
timed() { local what=$1; shift; local s; s=$(date +%s); "$@"; say "$what in $(( $(date +%s) - s )) s"; }

base() {
  local rootfs="$D/rootfs" include=()
  rm -rf "$rootfs"
  [[ "$MIRROR$SECURITY" != *https://* ]] || include=(--include=ca-certificates)
  nice -n 10 debootstrap --variant=minbase "${include[@]}" bookworm "$rootfs" "$MIRROR" > "$D/debootstrap.log" 2>&1 \
    || { tail -n 20 "$D/debootstrap.log" >&2; exit 1; }
  # Updates and security fixes, as on the machine; no services started by package scripts in a build.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' "$MIRROR" "$MIRROR" "$SECURITY" > "$rootfs/etc/apt/sources.list"
  # The host's apt proxy and Release-date checks (a mirror serving a snapshot), as the host's apt does.
  apt-config dump 2>/dev/null | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy(::[^ ]+)?) ' \
    > "$rootfs/etc/apt/apt.conf.d/90understudy-host" || true
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"; chmod +x "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import --change "LABEL understudy.base=$BASE_KEY" - understudy/debian:bookworm >/dev/null
  rm -rf "$rootfs"
}

build() { # build <tag> <context>
  # The host's network for apt inside the build: the engine's bridge has no route out here.
  local args=() v
  for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do [ -z "${!v:-}" ] || args+=(--build-arg "$v"); done
  docker build -q --network host "${args[@]}" -t "$1" "$2" >/dev/null
}

service_context() {
  local ctx="$D/ctx/service"
  rm -rf "$ctx"; mkdir -p "$ctx/dist/demo"
  cp tools/docker/service/Dockerfile "$ctx/"
  cp "$(command -v node)" "$ctx/node"
  [ -f dist/demo/service/main.js ] || npx tsc -p tsconfig.json >/dev/null || true
  cp -r dist/demo/service "$ctx/dist/demo/"
  # The service's runtime packages at the project's versions, nothing else of node_modules.
  local pg prom
  pg=$(node -p 'require("./package.json").dependencies.pg')
  prom=$(node -p 'require("./package.json").dependencies["prom-client"]')
  (cd "$ctx" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --loglevel=error --omit=dev "pg@$pg" "prom-client@$prom" >/dev/null)
  echo "$ctx"
}

mkdir -p "$D"
# The base image is rebuilt when its recipe, the mirrors or the host's apt settings change.
BASE_KEY=$( { declare -f base; echo "$MIRROR $SECURITY"; apt-config dump 2>/dev/null | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy)' || true; } | sha256sum | cut -c1-16)
have=$(docker image inspect -f '{{ index .Config.Labels "understudy.base" }}' understudy/debian:bookworm 2>/dev/null || true)
[ "$have" = "$BASE_KEY" ] || timed "base image (debootstrap + import from $MIRROR)" base
timed "understudy/haproxy:2.6" build understudy/haproxy:2.6 tools/docker/haproxy
timed "understudy/postgres:15" build understudy/postgres:15 tools/docker/postgres
timed "understudy/prometheus:2.42" build understudy/prometheus:2.42 tools/docker/prometheus
timed "understudy/orders:latest" build understudy/orders:latest "$(service_context)"
echo "$DOCKER_HOST"
