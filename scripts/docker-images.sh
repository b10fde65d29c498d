#!/usr/bin/env bash
# Builds, locally and once, the images the docker platform's real test runs (no Docker Hub here):
#   understudy/debian:bookworm    debootstrap minbase rootfs from the Debian mirror, imported
#   understudy/haproxy:2.6        Debian's haproxy          (tools/docker/haproxy)
#   understudy/postgres:15        Debian's postgresql-15    (tools/docker/postgres)
#   understudy/prometheus:2.42    Debian's prometheus       (tools/docker/prometheus)
#   understudy/orders:latest      the demo service          (tools/docker/service)
# Images live in the engine's data root (.toolchain/docker, git-ignored): a second run reuses the base
# image and every cached layer; only a changed Dockerfile or changed service code builds again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
D="${UNDERSTUDY_DOCKER_DIR:-$root/.toolchain/docker}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export DOCKER_HOST; DOCKER_HOST="$(bash scripts/docker-engine.sh start)"
# Debian's CLI, the same release as the daemon.
docker() { /usr/bin/docker "$@"; }
say() { printf '\033[1mdocker-images:\033[0m %s\n' "$*"; }
timed() { local what=$1; shift; local s; s=$(date +%s); "$@"; say "$what in $(( $(date +%s) - s )) s"; }

base() {
  local rootfs="$D/rootfs"
  rm -rf "$rootfs"
  nice -n 10 debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" > "$D/debootstrap.log" 2>&1 \
    || { tail -n 20 "$D/debootstrap.log" >&2; exit 1; }
  # Updates and security fixes, as on the machine; no services started by package scripts in a build.
  local sec="${MIRROR%/debian}/debian-security"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' "$MIRROR" "$MIRROR" "$sec" > "$rootfs/etc/apt/sources.list"
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"; chmod +x "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - understudy/debian:bookworm >/dev/null
  rm -rf "$rootfs"
}

build() { # build <tag> <context>
  # The host's network for apt inside the build: the engine's bridge has no route out here.
  docker build -q --network host -t "$1" "$2" >/dev/null
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
docker image inspect understudy/debian:bookworm >/dev/null 2>&1 || timed "base image (debootstrap + import)" base
timed "understudy/haproxy:2.6" build understudy/haproxy:2.6 tools/docker/haproxy
timed "understudy/postgres:15" build understudy/postgres:15 tools/docker/postgres
timed "understudy/prometheus:2.42" build understudy/prometheus:2.42 tools/docker/prometheus
timed "understudy/orders:latest" build understudy/orders:latest "$(service_context)"
echo "$DOCKER_HOST"
