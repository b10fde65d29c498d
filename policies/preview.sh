#!/usr/bin/env bash
# The policy gate: `pulumi preview --policy-pack policies` over a stack config (default: the local
# dev stack's Pulumi.dev.yaml), as a throwaway stack in a private file backend — it needs no
# existing stack and never touches a real one's state. Non-zero exit on a mandatory violation.
#   bash policies/preview.sh [stack-config.yaml] [policy-config.json]
# Needs the build (npm run build) and the toolchain (npm run setup). The config may hold no
# `secure:` values: the throwaway stack has its own passphrase.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
config="$(realpath "${1:-$root/Pulumi.dev.yaml}")"
policy_config="${2:+$(realpath "$2")}"
work="$(mktemp -d)"
# `stack init` writes the throwaway stack's salt beside Pulumi.yaml: removed on exit too.
trap 'rm -rf "$work" "$root/Pulumi.policy-gate.yaml"' EXIT
cd "$root"
# Plugins, language host and offline settings as every other flow; backend and passphrase our own.
eval "$(node -e '
const { engineEnv } = require(process.argv[1]);
for (const [k, v] of Object.entries(engineEnv({ root: process.argv[2], stack: "policy-gate" }))) console.log(`export ${k}=${JSON.stringify(v)}`);
' "$root/dist/automation/engine.js" "$root")"
export PULUMI_BACKEND_URL="file://$work/state" PULUMI_CONFIG_PASSPHRASE=policy-gate
mkdir -p "$work/state"
# The real stack's salt belongs to its own passphrase.
grep -v '^encryptionsalt:' "$config" > "$work/Pulumi.policy-gate.yaml"
pulumi=".toolchain/bin/pulumi"
"$pulumi" stack init policy-gate --non-interactive >/dev/null
"$pulumi" preview --stack policy-gate --config-file "$work/Pulumi.policy-gate.yaml" --policy-pack policies \
  ${policy_config:+--policy-pack-config "$policy_config"} --non-interactive --diff=false
