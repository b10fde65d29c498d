// Shared by the shadow-pool benchmarks: a dev-shaped stack on its own ports, latency windows over
// load-generator records, and writing results (JSON + a readable report).
import * as fs from "node:fs";
import * as path from "node:path";
import { percentile, RequestRecord } from "../../demo/loadgen";
import { testStack, TestStack } from "../../test/helpers/stack";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const LB = "http://127.0.0.1:16080";
export const PROM = "http://127.0.0.1:16090";

export function benchConfig(shadows: Record<string, unknown>, replicas = 2): Record<string, unknown> {
  return {
    "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
    "understudy:loadBalancer": { port: 16080, statsPort: 16404, checkIntervalMs: 500 },
    "understudy:prometheus": { port: 16090, scrapeIntervalSeconds: 1 },
    "understudy:services": {
      orders: {
        command: "node dist/demo/service/main.js",
        port: 16100,
        replicas,
        store: { host: "host-1", port: 16432, database: "orders", schema: "demo/schema/orders.sql" },
        shadows,
        replication: { mode: "async", metricsPort: 16187 },
      },
    },
  };
}

export async function upStack(name: string, config: Record<string, unknown>): Promise<TestStack> {
  const s = await testStack(name, config);
  await s.stack.up({ onOutput: () => undefined });
  return s;
}

export interface Window {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

/** Requests scheduled in [fromMs, toMs) of the run. */
export function window(records: RequestRecord[], fromMs: number, toMs: number): Window {
  const inside = records.filter((r) => r.scheduledMs >= fromMs && r.scheduledMs < toMs);
  const ok = (r: RequestRecord): boolean => r.status >= 200 && r.status < 400;
  const lat = inside.map((r) => r.latencyMs).filter((x) => Number.isFinite(x));
  return { requests: inside.length, failed: inside.filter((r) => !ok(r)).length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

export function writeResults(name: string, json: unknown, markdown: string): void {
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(json, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, `${name}.md`), markdown);
  console.log(markdown);
}

export function fmt(x: number | null): string {
  return x !== null && Number.isFinite(x) ? x.toFixed(1) : "-";
}
