// The main job on the local platform: bring the dev stack up (or confirm it is up), replay a real
// trace through its load balancer, and show what every instance served, from Prometheus.
import * as path from "node:path";
import { formatSummary, runLoad } from "../demo/loadgen";
import { openStack, preflight } from "./engine";

const ROOT = path.resolve(__dirname, "..", "..");
const TRACE = path.resolve(ROOT, "..", "shared", "data", "nab", "data", "realKnownCause", "nyc_taxi.csv");

async function promQuery(url: string, q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

async function main(): Promise<void> {
  const stack = await openStack({ root: ROOT, stack: "dev" });
  const spec = await preflight(stack);
  console.log("understudy: bringing up the dev stack on the local platform (pulumi up)…");
  const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
  const services = up.outputs.services.value as Record<string, { url: string }>;
  const prometheusUrl = up.outputs.prometheusUrl.value as string;
  for (const svc of spec.services) {
    const target = services[svc.name].url;
    console.log(`\nunderstudy: replaying ${path.basename(TRACE)} against ${target} (30 s, 10 min of trace per second)…`);
    const result = await runLoad({ target, trace: TRACE, compress: 600, baseRps: 20, peakRps: 150, writeRatio: 0.2, durationSec: 30, seed: 1 });
    console.log(formatSummary(result));
    // Let Prometheus take one more scrape so the last seconds are counted.
    await new Promise((r) => setTimeout(r, (spec.prometheus.scrapeIntervalSeconds + 1) * 1000));
    const served = await promQuery(prometheusUrl, `sum by (instance, role, host) (increase(http_requests_total{service="${svc.name}",route!~"/healthz|/metrics"}[1m]))`);
    console.log(`\nrequests served in the last minute, per instance (Prometheus ${prometheusUrl}):`);
    for (const r of served.sort((a, b) => a.metric.instance.localeCompare(b.metric.instance))) {
      console.log(`  ${r.metric.instance.padEnd(28)} ${r.metric.role.padEnd(7)} ${r.metric.host.padEnd(8)} ${Number(r.value[1]).toFixed(0).padStart(7)}`);
    }
  }
  console.log(`\nThe stack keeps running: Prometheus ${prometheusUrl}, HAProxy stats http://127.0.0.1:${spec.services[0].statsPort}/stats.`);
  console.log("Stop it with: npm run down");
}

main().catch((e: unknown) => {
  console.error(`understudy: ${(e as Error).message}`);
  process.exit(1);
});
