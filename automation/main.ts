// The main job on the local platform, end to end: bring the dev stack up, replay a real trace (NYC
// taxi demand, 10 minutes of trace per second) through its load balancer, and run the automation
// runner against it on the trace's own clock — forecasts, decisions and stack updates print as they
// happen; a summary ends the run. The stack keeps running afterwards (`npm run down` stops it).
import * as fs from "node:fs";
import * as path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Change } from "./decide";
import { formatSummary, runLoadProcess } from "../demo/loadgen";
import { openStack, preflight } from "./engine";
import { parseSeriesCsv, Point } from "./forecast";
import { prometheusSource } from "./metrics/prometheus";
import { compressedClock } from "./runner/clock";
import { describeTick, RunnerMetrics } from "./runner/record";
import { recover } from "./runner/recovery";
import { stackRuntime } from "./runner/runtime";
import { runnerDir } from "./runner/state";
import { tick } from "./runner/tick";

const ROOT = path.resolve(__dirname, "..", "..");
const TRACE = path.resolve(ROOT, "..", "shared", "data", "nab", "data", "realKnownCause", "nyc_taxi.csv");
const START = "2014-07-14 03:00:00"; // a Monday, before the morning rise; two weeks of history before it
const COMPRESS = 600;
const SECONDS = Number(process.env.UNDERSTUDY_DEMO_SECONDS ?? 120);
const BASE_RPS = 10;
const PEAK_RPS = 150;

/** The trace as the load generator will play it: values scaled linearly into [BASE, PEAK] req/s. */
function scaledTrace(): Point[] {
  const pts = parseSeriesCsv(fs.readFileSync(TRACE, "utf8"), TRACE);
  const vs = pts.map((p) => p.v);
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  return pts.map((p) => ({ t: p.t, v: BASE_RPS + ((p.v - lo) / (hi - lo)) * (PEAK_RPS - BASE_RPS) }));
}

/** Policy for a clock running 600× fast: an hour's horizon, staleness and windows in trace time. */
const DEMO_POLICY = {
  horizonSec: 3600,
  staleAfterSec: 30 * COMPRESS,
  stabilisationSec: 2 * 3600,
  consolidation: { floor: 0.3, windowSec: 2 * 3600 },
  maxShadows: 2,
};

async function main(): Promise<void> {
  const stack = await openStack({ root: ROOT, stack: "dev" });
  for (const note of await recover(stack, path.join(ROOT, ".understudy", "state"))) console.log(`understudy: ${note}`);
  const spec = await preflight(stack);
  console.log("understudy: bringing up the dev stack on the local platform (pulumi up)…");
  const up = await stack.up({ onOutput: (s) => process.stdout.write(s) });
  const services = up.outputs.services.value as Record<string, { url: string }>;
  const prometheusUrl = up.outputs.prometheusUrl.value as string;
  const svc = spec.services[0].name;

  const trace = scaledTrace();
  const origin = Date.parse(`${START.replace(" ", "T")}Z`);
  const history = trace.filter((p) => p.t < origin);
  const clock = compressedClock(origin, COMPRESS);
  const dir = runnerDir(ROOT, "dev");
  fs.rmSync(path.join(dir, "state.json"), { force: true }); // a fresh forecaster for a fresh replay
  console.log(`\nunderstudy: replaying ${path.basename(TRACE)} from ${START} (${COMPRESS}× fast, ${SECONDS} s = ${((SECONDS * COMPRESS) / 3600).toFixed(0)} h of trace) with the runner ticking every trace step (3 s)…`);
  // The clients run in their own process, as real clients do. In this one the runner's forecasting
  // and the Pulumi program of each `up` (run inline by the Automation API) held the event loop for
  // seconds on a busy machine: clients sharing it sent requests seconds late and timed out responses
  // that had arrived (measured at load 15-20: sends 7.6 s late, 4 ETIMEDOUT that HAProxy's log shows
  // as served normally).
  const load = runLoadProcess({ target: services[svc].url, trace: TRACE, traceStart: START, compress: COMPRESS, baseRps: BASE_RPS, peakRps: PEAK_RPS, writeRatio: 0.2, durationSec: SECONDS, seed: 1 });
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const metrics = new RunnerMetrics();
  const source = prometheusSource(prometheusUrl);
  const ctx = {
    root: ROOT,
    stack,
    dir,
    metrics: source,
    runtime: await stackRuntime(ROOT, stack, source),
    clock,
    dryRun: false,
    forecast: { kind: "holt-winters" as const, refitMs: 24 * 3600_000, seed: 1 },
    history: () => history,
    runnerMetrics: metrics,
    policyOverrides: DEMO_POLICY,
  };
  const changes: Change[] = [];
  const t0 = Date.now();
  let ticks = 0;
  // Give Prometheus a few scrapes of the new load before the first decision.
  await new Promise((r) => setTimeout(r, 6000));
  while (Date.now() - t0 < SECONDS * 1000 - 3000) {
    const started = Date.now();
    try {
      const r = await tick(ctx);
      ticks++;
      changes.push(...(r.changes as Change[]));
      const when = new Date(clock.now()).toISOString().slice(0, 16).replace("T", " ");
      console.log(`[trace ${when}] ${describeTick(r).join("\n")}`);
    } catch (e) {
      console.error(`understudy: tick failed: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - started))));
  }
  const result = await load;
  loopDelay.disable();
  console.log(`\n== summary ==\nclients (their own process):\n${formatSummary(result)}`);
  console.log(`runner process: event loop held up to ${(loopDelay.max / 1e6).toFixed(0)} ms (p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms) by forecasting and the inline Pulumi program`);
  const byKind = changes.reduce<Record<string, number>>((a, c) => ({ ...a, [c.kind]: (a[c.kind] ?? 0) + 1 }), {});
  console.log(`runner: ${ticks} ticks, ${changes.length} changes ${JSON.stringify(byKind)}`);
  const final = JSON.parse((await stack.getConfig("understudy:services")).value) as Record<string, { replicas?: number; shadows?: { count?: number; mirrorPercent?: number } }>;
  console.log(`stack now: ${JSON.stringify(final[svc].shadows ?? {})} shadows config, ${final[svc].replicas} live`);
  console.log(`decision log: ${path.join(dir, "decisions.jsonl")} (npm run runner -- explain)`);
  console.log(`\nThe stack keeps running: Prometheus ${prometheusUrl}, HAProxy stats http://127.0.0.1:${spec.services[0].statsPort}/stats. Stop it with: npm run down`);
}

main().catch((e: unknown) => {
  console.error(`understudy: ${(e as Error).message}`);
  process.exit(1);
});
