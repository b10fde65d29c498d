// `npm run bench:warm`: time from the decision to traffic served, for a warm shadow (weight moved
// through the runtime API) vs a newly started instance (one more replica through `pulumi up`).
import { localWeights } from "../../components/platforms/local/runtime/routing";
import { writeConfig } from "../../automation/engine";
import { get } from "../../test/helpers/stack";
import { benchConfig, LB, upStack, writeResults } from "../shadow/common";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Poll the load balancer until a response comes from the wanted instance; ms until then. */
async function until(predicate: (instance: string) => boolean, t0: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    const r = await get(`${LB}/healthz`).catch(() => undefined);
    const inst = r ? ((JSON.parse(r.body) as { instance?: string }).instance ?? "") : "";
    if (predicate(inst)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error("timed out waiting for the new capacity to serve");
    await new Promise((res) => setTimeout(res, 20));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const warm: number[] = [];
  const cold: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await upStack(`bench-warm-${i}`, benchConfig({ count: 1, hosts: ["host-3"] }, 1));
    try {
      // Warm: the shadow is running and in sync; the decision is a weight.
      let t0 = Date.now();
      await localWeights(s.stateDir, "orders").setShadowWeight(100);
      warm.push(await until((inst) => inst.includes("shadow"), t0));
      await localWeights(s.stateDir, "orders").setShadowWeight(0);
      // Cold: a new live instance on a free host, through config + `up`; served once it answers.
      const services = benchConfig({ count: 1, hosts: ["host-3"] }, 2)["understudy:services"];
      t0 = Date.now();
      await writeConfig(s.stack, { "understudy:services": services });
      await s.stack.up({ onOutput: () => undefined });
      cold.push(await until((inst) => inst === "orders-live-host-2", t0));
    } finally {
      await s.destroy();
    }
    process.stdout.write(`run ${i + 1}/${RUNS}: warm ${warm[i]} ms, cold ${cold[i]} ms\n`);
  }
  const result = { runs: RUNS, warmMs: median(warm), coldMs: median(cold), ratio: median(cold) / median(warm), samples: { warm, cold } };
  const md = [
    "# Warm shadow vs cold start (local platform)",
    "",
    `From the decision to the first request served by the new capacity, median of ${RUNS}.`,
    "",
    "| path | median ms | samples |",
    "|---|---|---|",
    `| warm shadow (weight via the runtime API) | ${result.warmMs} | ${warm.join(", ")} |`,
    `| new instance (config + pulumi up + start + health) | ${result.coldMs} | ${cold.join(", ")} |`,
    "",
    `Cold / warm: ${result.ratio.toFixed(0)}×.`,
    "",
  ].join("\n");
  writeResults("warm", result, md);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
