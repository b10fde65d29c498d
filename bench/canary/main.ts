// `npm run bench:canary`: a shadow injected with 20 % 5xx is rolled back within one analysis
// interval; a healthy one reaches 100 %. Reads at a steady rate while the rollout runs.
import { runCanary } from "../../automation/canary/run";
import { CanaryPolicy } from "../../automation/canary/rollout";
import { localWeights } from "../../components/platforms/local/runtime/routing";
import { prometheusSource } from "../../automation/metrics/prometheus";
import { runLoad } from "../../demo/loadgen";
import { benchConfig, LB, PROM, upStack, writeResults } from "../shadow/common";

const POLICY: CanaryPolicy = { steps: [5, 10, 25, 50, 100], intervalSec: 5, maxErrorRateDelta: 0.05, maxP99Ratio: 3, minRequests: 10, p99FloorMs: 100 };

async function scenario(name: string, shadows: Record<string, unknown>): Promise<Record<string, unknown>> {
  const s = await upStack(`bench-${name}`, benchConfig({ count: 1, ...shadows }));
  try {
    const ac = new AbortController();
    const load = runLoad({ target: LB, rps: 60, durationSec: 120, writeRatio: 0, seed: 5 }, ac.signal);
    const t0 = Date.now();
    const timeline: { atMs: number; status: string; weight: number; reason: string }[] = [];
    const final = await runCanary({
      service: "orders",
      policy: POLICY,
      metrics: prometheusSource(PROM),
      weights: localWeights(s.stateDir, "orders"),
      pollMs: 1000,
      onState: (st) => timeline.push({ atMs: Date.now() - t0, status: st.status, weight: st.weight, reason: st.reason }),
    });
    ac.abort();
    const r = await load;
    const firstBad = timeline.find((x) => x.status === "rolledBack");
    return { scenario: name, final: final.status, finalWeight: final.weight, reason: final.reason, decidedAfterMs: Date.now() - t0, rollbackAfterMs: firstBad?.atMs ?? null, requests: r.requests, failed: r.failed, timeline };
  } finally {
    await s.destroy();
  }
}

async function main(): Promise<void> {
  const rows = [await scenario("canary-faulty", { env: { FAULT_ERROR_RATE: "0.2" } }), await scenario("canary-healthy", {})];
  const md = [
    "# Canary rollout (local platform)",
    "",
    `Steps ${POLICY.steps.join(", ")} %, analysis interval ${POLICY.intervalSec} s (error rate of shadows vs live ≤ +${POLICY.maxErrorRateDelta * 100} points, p99 ≤ ${POLICY.maxP99Ratio}× above a ${POLICY.p99FloorMs} ms floor), 60 reads/s.`,
    "",
    "| scenario | outcome | final weight | decided after s | client failures / requests | reason |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${String(r.scenario)} | ${String(r.final)} | ${String(r.finalWeight)} % | ${((r.decidedAfterMs as number) / 1000).toFixed(1)} | ${String(r.failed)} / ${String(r.requests)} | ${String(r.reason)} |`),
    "",
  ].join("\n");
  writeResults("canary", { policy: POLICY, scenarios: rows }, md);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
