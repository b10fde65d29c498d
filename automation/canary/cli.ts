// `npm run canary -- --service orders [--stack dev] [--steps 5,10,25,50,100] [--interval 60]
//  [--max-error-delta 0.01] [--max-p99-ratio 1.5]`: a canary rollout to the shadows of a running stack.
import * as path from "node:path";
import { openStack } from "../engine";
import { prometheusSource } from "../metrics/prometheus";
import { stackRuntime } from "../runner/runtime";
import { DEFAULT_CANARY, validatePolicy } from "./rollout";
import { runCanary } from "./run";

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const service = flag(argv, "service");
  if (!service) throw new Error("usage: canary --service <name> [--stack dev] [--steps 5,10,25,50,100] [--interval 60] [--max-error-delta 0.01] [--max-p99-ratio 1.5] [--prometheus http://127.0.0.1:19090]");
  const root = path.resolve(__dirname, "..", "..", "..");
  const stack = await openStack({ root, stack: flag(argv, "stack") ?? "dev" });
  const metrics = prometheusSource(flag(argv, "prometheus") ?? "http://127.0.0.1:19090");
  const { router } = await stackRuntime(root, stack, metrics);
  const num = (name: string, dflt: number): number => {
    const v = flag(argv, name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
    return n;
  };
  const policy = validatePolicy({
    ...DEFAULT_CANARY,
    steps: flag(argv, "steps")?.split(",").map(Number) ?? DEFAULT_CANARY.steps,
    intervalSec: num("interval", DEFAULT_CANARY.intervalSec),
    maxErrorRateDelta: num("max-error-delta", DEFAULT_CANARY.maxErrorRateDelta),
    maxP99Ratio: num("max-p99-ratio", DEFAULT_CANARY.maxP99Ratio),
  });
  const final = await runCanary({
    service,
    policy,
    metrics,
    weights: { setShadowWeight: (percent) => router.setShadowWeight(service, percent) },
    onState: (s) => console.log(`${new Date().toISOString()} ${s.status.padEnd(10)} ${String(s.weight).padStart(3)} %  ${s.reason}`),
  });
  if (final.status === "rolledBack") process.exitCode = 3;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
