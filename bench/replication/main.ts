// `npm run bench:replication`: replication lag p50/p99 at 200 and 1000 writes/s, sync and async, for
// each driver; commit latency of the demo service's writes, sync vs async; promotion time, graceful
// switchover and after kill -9 of the primary. Writes bench/results/replication.json + .md.
// BENCH_DRIVERS=logical,stream picks the drivers (both by default); UNDERSTUDY_STREAM_DRIVER=off
// leaves the stream driver (RabbitMQ) out.
import * as fs from "node:fs";
import * as path from "node:path";
import { PromotionRefused } from "../../automation/replication";
import { localStonith, promoteService } from "../../components/platforms/local/runtime/promoter";
import { topologyFromState } from "../../components/platforms/local/runtime/topology";
import { ROOT, testStack } from "../../test/helpers/stack";
import { replicationConfig } from "../../test/integration/replication/fixture";
import { killStore } from "../consistency/faults";
import { LagRun, measureLag } from "./lag";
import { measureServiceWrites, ServiceLatency } from "./serviceLatency";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RATES = [200, 1000];

interface DriverResult {
  driver: "logical" | "stream";
  lag: { mode: "sync" | "async"; runs: LagRun[] }[];
  service: { mode: "sync" | "async"; latency: ServiceLatency }[];
  syncOverAsyncP50: number;
  promotion: ({ kind: "switchover" | "kill"; from: string; to: string; writableAfterMs: number; repointMs: number; totalMs: number; unavailableMs: number } | { kind: "switchover" | "kill"; refused: string[] })[];
}

async function firstAck(lb: string, after: number, timeoutMs: number, prefix: string): Promise<number> {
  for (let i = 0; Date.now() - after < timeoutMs; i++) {
    const ok = await fetch(`${lb}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": `${prefix}-${i}` },
      body: JSON.stringify({ customer: "bench", amount: 1 }),
      signal: AbortSignal.timeout(3000),
    })
      .then((r) => r.status === 201)
      .catch(() => false);
    if (ok) return Date.now();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("writes not accepted again");
}

async function benchDriver(driver: "logical" | "stream", base: number): Promise<DriverResult> {
  const s = await testStack(`bench-repl-${driver}`, replicationConfig(base, { mode: "sync", driver, hosts: 5, shadows: 3 }));
  const lb = `http://127.0.0.1:${base + 80}`;
  const say = (m: string): void => void process.stdout.write(`[${driver}] ${m}\n`);
  try {
    await s.stack.up({ onOutput: () => undefined });
    const result: DriverResult = { driver, lag: [], service: [], syncOverAsyncP50: NaN, promotion: [] };
    for (const mode of ["sync", "async"] as const) {
      await s.stack.setConfig("understudy:services.orders.replication.mode", { value: mode }, true);
      await s.stack.up({ onOutput: () => undefined });
      const topo = topologyFromState(await s.stack.exportStack(), "orders");
      const runs: LagRun[] = [];
      for (const rate of RATES) {
        const r = await measureLag(topo.primary.url, topo.replicas, rate, SECONDS, `bench-${driver}-${mode}-${rate}-${Date.now()}`);
        say(`${mode} ${rate}/s (achieved ${r.achievedRate.toFixed(0)}/s): commit p50 ${r.commitP50Ms.toFixed(1)} ms, lag ${Object.entries(r.lag).map(([h, l]) => `${h} p50 ${l.p50Ms.toFixed(1)} p99 ${l.p99Ms.toFixed(1)} ms${l.missing > 0 ? ` (${l.missing} rows missing)` : ""}`).join("; ")}`);
        runs.push(r);
      }
      result.lag.push({ mode, runs });
      const latency = await measureServiceWrites(lb, 100, 10, `bench-svc-${driver}-${mode}-${Date.now()}`);
      say(`${mode}: service writes p50 ${latency.p50Ms.toFixed(1)} ms p99 ${latency.p99Ms.toFixed(1)} ms (${latency.errors} errors)`);
      result.service.push({ mode, latency });
    }
    const p50 = (m: string): number => result.service.find((x) => x.mode === m)?.latency.p50Ms ?? NaN;
    result.syncOverAsyncP50 = p50("sync") / p50("async");
    await s.stack.setConfig("understudy:services.orders.replication.mode", { value: "sync" }, true);
    await s.stack.up({ onOutput: () => undefined });
    for (const kind of ["switchover", "kill"] as const) {
      const topo = topologyFromState(await s.stack.exportStack(), "orders");
      const primary = new URL(topo.primary.url);
      const t0 = Date.now();
      let release: (() => Promise<void>) | undefined;
      if (kind === "kill") release = await killStore(path.join(s.stateDir, "pm2"), `orders-store-${topo.primary.host}`, primary.hostname, Number(primary.port));
      try {
        const report = await promoteService({
          root: ROOT,
          stack: s.stack,
          service: "orders",
          stonith: async (h) => {
            await localStonith(ROOT, s.name, "orders")(h);
            await release?.();
            release = undefined;
          },
        });
        const back = await firstAck(lb, t0, 120_000, `bench-after-${kind}-${Date.now()}`);
        const p = { kind, from: report.from, to: report.to, writableAfterMs: report.timings.writableAfterMs, repointMs: report.timings.repointMs ?? NaN, totalMs: report.timings.totalMs, unavailableMs: back - t0 };
        say(`${kind} ${p.from} → ${p.to}: store writable after ${p.writableAfterMs} ms, repoint (up) ${p.repointMs} ms, total ${p.totalMs} ms, service writes back after ${p.unavailableMs} ms`);
        result.promotion.push(p);
      } catch (e) {
        // A refusal is a result too (e.g. shadows still catching up after the async run): say why, go on.
        if (!(e instanceof PromotionRefused)) throw e;
        say(`${kind}: refused: ${e.reasons.join("; ")}`);
        result.promotion.push({ kind, refused: e.reasons });
        if (kind === "kill") break;
      } finally {
        await release?.();
      }
    }
    return result;
  } finally {
    await s.destroy();
  }
}

function report(results: DriverResult[]): string {
  const lines = [
    "# Replication streams (local platform)",
    "",
    `Open-loop writes committed on the primary for ${SECONDS} s per rate; lag = when the row is visible on a shadow's store − when its commit was acknowledged (poll every 2 ms from a worker thread per shadow; 0 when the shadow had it first; rows not visible 15 s after the last write are counted as missing). 3 shadows, 2 cores shared.`,
    "",
    "| driver | mode | writes/s (achieved) | commit p50 / p99 ms | lag p50 / p99 ms per shadow |",
    "|---|---|---|---|---|",
  ];
  for (const d of results) {
    for (const l of d.lag) {
      for (const r of l.runs) {
        const lag = Object.entries(r.lag).map(([h, x]) => `${h}: ${x.p50Ms.toFixed(1)} / ${x.p99Ms.toFixed(1)}${x.missing > 0 ? ` (${x.missing} missing)` : ""}`).join("; ");
        lines.push(`| ${d.driver} | ${l.mode} | ${r.rate} (${r.achievedRate.toFixed(0)}) | ${r.commitP50Ms.toFixed(1)} / ${r.commitP99Ms.toFixed(1)} | ${lag} |`);
      }
    }
  }
  lines.push("", "## Demo service writes (POST /orders through HAProxy, 100/s for 10 s)", "", "| driver | mode | p50 ms | p99 ms | errors |", "|---|---|---|---|---|");
  for (const d of results) for (const s of d.service) lines.push(`| ${d.driver} | ${s.mode} | ${s.latency.p50Ms.toFixed(1)} | ${s.latency.p99Ms.toFixed(1)} | ${s.latency.errors} |`);
  lines.push("", ...results.map((d) => `Sync / async p50 ratio, ${d.driver}: ${d.syncOverAsyncP50.toFixed(2)}`));
  lines.push("", "## Promotion (sync mode)", "", "Store writable = fence (or death) → the shadow takes writes; repoint = stack config + `up` (live instances restart on the new primary, replication re-created); service back = event → first write acknowledged through HAProxy.", "");
  lines.push("| driver | event | from → to | store writable ms | repoint ms | total ms | service back ms |", "|---|---|---|---|---|---|---|");
  for (const d of results) {
    for (const p of d.promotion) {
      lines.push("refused" in p ? `| ${d.driver} | ${p.kind} | refused: ${p.refused.join("; ")} | | | | |` : `| ${d.driver} | ${p.kind} | ${p.from} → ${p.to} | ${p.writableAfterMs} | ${p.repointMs} | ${p.totalMs} | ${p.unavailableMs} |`);
    }
  }
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const wanted = (process.env.BENCH_DRIVERS ?? "logical,stream").split(",").map((d) => d.trim());
  for (const d of wanted) if (d !== "logical" && d !== "stream") throw new Error(`BENCH_DRIVERS: unknown driver "${d}" (logical, stream)`);
  const drivers = (["logical", "stream"] as const).filter((d) => wanted.includes(d) && !(d === "stream" && process.env.UNDERSTUDY_STREAM_DRIVER === "off"));
  const results: DriverResult[] = [];
  // Ports by driver, not by position: one driver alone uses the same ports as in a full run.
  for (const d of drivers) results.push(await benchDriver(d, d === "logical" ? 30000 : 31000));
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "replication.json"), JSON.stringify({ seconds: SECONDS, rates: RATES, results }, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "replication.md"), report(results));
  process.stdout.write(report(results));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
