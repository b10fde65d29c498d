#!/usr/bin/env bash
# Assembles the build contexts of the runner and demo-service images under .understudy/images/<name>/:
#   node        this machine's Node 20 binary (its shared libraries are all in Debian bookworm's base)
#   app/        dist/, production node_modules, package.json, Pulumi.yaml, and for the runner
#               .toolchain/bin: the Pulumi CLI, the TypeScript language host, the Kubernetes provider
# Needs the build (npm run build) and the toolchains (scripts/setup.sh, scripts/k8s-toolchain.sh).
#   bash deploy/images/build-context.sh            # both
#   then: docker build -t understudy/runner:<tag> .understudy/images/runner   (see build.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="$root/.understudy/images"
node_bin="$(command -v node)"
[ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" = 20 ] || { echo "build-context: Node 20 is needed, found $("$node_bin" --version)" >&2; exit 1; }
for f in dist/automation/runner/cli.js dist/tools/language-host/main.js .toolchain/bin/pulumi .toolchain/k8s/bin/pulumi-resource-kubernetes; do
  [ -e "$f" ] || { echo "build-context: $f is missing: run npm run build, scripts/setup.sh and scripts/k8s-toolchain.sh" >&2; exit 1; }
done

# Production node_modules once, from the lock file, shared by both contexts.
prod="$out/.prod"
if [ ! -f "$prod/node_modules/.lock-stamp" ] || ! cmp -s package-lock.json "$prod/node_modules/.lock-stamp"; then
  rm -rf "$prod" && mkdir -p "$prod"
  cp package.json package-lock.json "$prod/"
  (cd "$prod" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  cp package-lock.json "$prod/node_modules/.lock-stamp"
fi

context() { # context <name> <with-toolchain>
  local c="$out/$1"
  rm -rf "$c" && mkdir -p "$c/app"
  cp "$root/deploy/images/$1/Dockerfile" "$c/Dockerfile"
  cp "$node_bin" "$c/node"
  cp -r dist package.json Pulumi.yaml "$c/app/"
  rm -rf "$c/app/dist/test" "$c/app/dist/bench"
  cp -r "$prod/node_modules" "$c/app/node_modules"
  if [ "$2" = yes ]; then
    mkdir -p "$c/app/.toolchain/bin" "$c/app/tools/language-host"
    cp .toolchain/bin/pulumi .toolchain/k8s/bin/pulumi-resource-kubernetes "$c/app/.toolchain/bin/"
    cp tools/language-host/pulumi-language-nodejs "$c/app/tools/language-host/"
    ln -s ../../tools/language-host/pulumi-language-nodejs "$c/app/.toolchain/bin/pulumi-language-nodejs"
    ln -s ../../node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs "$c/app/.toolchain/bin/pulumi-resource-pulumi-nodejs"
  fi
  echo "build-context: $c ($(du -sh "$c" | cut -f1))"
}
context runner yes
context service no
