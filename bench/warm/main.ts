// `npm run bench:warm`: the runner's real scale-up path on the local platform, timed from the decision
// to the new capacity serving client traffic through the load balancer — a warm promotion (the
// platform runtime's fast path, then config + `up`, which updates the running shadow in place) vs a
// new instance (config + `up` starts a live process: what decide() does when no shadow is left) — on
// the same stack under the same client load, with the p99 and the failed requests of the minute
// after each decision. Rounds alternate which comes first, so neither always runs on the busier stack.
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { Change } from "../../automation/decide";
import { preflight } from "../../automation/engine";
import { prometheusSource } from "../../automation/metrics/prometheus";
import { applyChanges } from "../../automation/runner/apply";
import { placeService } from "../../components/config";
import { createRuntime } from "../../components/platforms";
import * as supervisor from "../../components/platforms/local/impl/supervisor";
import { percentile, RequestRecord, runLoadProcess } from "../../demo/loadgen";
import { get, ROOT, TestStack } from "../../test/helpers/stack";
import { fmt, upStack, writeResults } from "../shadow/common";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RPS = Number(process.env.BENCH_RPS ?? 40);
const MINUTE_MS = Number(process.env.BENCH_WINDOW_SEC ?? 60) * 1000;
const LB = "http://127.0.0.1:29280";

const config = {
  "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
  "understudy:loadBalancer": { port: 29280, checkIntervalMs: 500 },
  "understudy:prometheus": { port: 29290, scrapeIntervalSeconds: 1 },
  "understudy:services": {
    orders: {
      command: "node dist/demo/service/main.js",
      port: 29300,
      statsPort: 29284,
      replicas: 1,
      cpuCostMs: 2,
      store: { host: "host-1", port: 29332, database: "orders", schema: "demo/schema/orders.sql" },
      replication: { mode: "sync", metricsPort: 29387 },
      // The understudy is kept warm by mirrored traffic, as the runner's mirroring rule does before a rise.
      shadows: { count: 1, mirrorPercent: 100 },
    },
  },
};

interface Path {
  /** Decision → first client request answered by the new capacity through the load balancer. */
  servingMs: number;
  /** Decision → the `up` done (the stack's declared state follows). */
  durableMs: number;
  /** The minute after the decision (client requests scheduled in it). */
  minute: { requests: number; failed: number; p99Ms: number; p50Ms: number };
  /** The rest of that minute once the `up` was done: the new capacity without the engine's own CPU. */
  afterUp: { requests: number; failed: number; p99Ms: number; p50Ms: number };
  instance: string;
  /** Warm: the promoted process's pid before and after (same = no restart). */
  pidBefore?: number;
  pidAfter?: number;
  /** Warm: resources a preview right after the up would change (0 = the up left nothing to do). */
  previewChanges?: number;
}

interface Round {
  order: string;
  /** The 20 s before the first decision: the stack's own p99 under this load. */
  baseline: { requests: number; failed: number; p99Ms: number };
  warm: Path;
  cold: Path;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the load balancer until a response comes from `instance`; ms since t0. */
async function firstServed(instance: string, t0: number, timeoutMs = 180_000): Promise<number> {
  for (;;) {
    const r = await get(`${LB}/healthz`).catch(() => undefined);
    const inst = r ? ((JSON.parse(r.body) as { instance?: string }).instance ?? "") : "";
    if (inst === instance) return performance.now() - t0;
    const waited = performance.now() - t0;
    if (waited > timeoutMs) throw new Error(`${instance} served nothing within ${timeoutMs} ms`);
    // Fine-grained while a warm promotion may land; coarser after, so the probe adds little load.
    await sleep(waited < 3000 ? 5 : 50);
  }
}

function windowOf(records: RequestRecord[], fromMs: number, toMs: number): Path["minute"] {
  const inside = records.filter((r) => r.scheduledMs >= fromMs && r.scheduledMs < toMs);
  const lat = inside.map((r) => r.latencyMs).filter((x) => Number.isFinite(x));
  return { requests: inside.length, failed: inside.filter((r) => !(r.status >= 200 && r.status < 400)).length, p99Ms: percentile(lat, 99), p50Ms: percentile(lat, 50) };
}

function median(xs: number[]): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function placement(s: TestStack): Promise<{ live: string[]; shadows: string[]; free: string[] }> {
  const spec = await preflight(s.stack);
  const p = placeService(spec.services[0], spec.hosts);
  return { live: p.live, shadows: p.shadows, free: spec.hosts.filter((h) => !p.live.includes(h) && !p.shadows.includes(h)) };
}

async function round(i: number): Promise<Round> {
  const s = await upStack(`bench-warm-${i}`, config);
  try {
    const runtime = await createRuntime("local", { root: ROOT, stack: s.stack, metrics: prometheusSource("http://127.0.0.1:29290") });
    const loadT0 = performance.now();
    const abort = new AbortController();
    // The clients in their own process: this one runs the inline Pulumi program, whose `up` holds its
    // event loop for seconds on a busy machine (a client here would send late and time out).
    const load = runLoadProcess({ target: LB, rps: RPS, durationSec: 3600, writeRatio: 0.2, seed: 100 + i }, abort.signal);
    const at = (): number => performance.now() - loadT0;
    // Mirrored traffic warms the understudy; the stack settles.
    await sleep(20_000);
    const baselineFrom = at() - 20_000;

    // The runner's apply: the platform runtime's fast path, then one config write and one `up`.
    const decide = async (changes: Change[], instance: string): Promise<{ servingMs: number; durableMs: number; fromMs: number }> => {
      const spec = await preflight(s.stack);
      const fromMs = at();
      const t0 = performance.now();
      const fast = await runtime.router.beforeUp(spec, changes);
      const serving = firstServed(instance, t0);
      const applied = await applyChanges(s.stack, spec, changes);
      if (!applied.applied) {
        await fast.undo();
        throw new Error(`the up was not applied: ${applied.skipped}`);
      }
      const durableMs = performance.now() - t0;
      return { servingMs: await serving, durableMs, fromMs };
    };

    type Measured = { fromMs: number; path: Omit<Path, "minute" | "afterUp"> };
    const warm = async (): Promise<Measured> => {
      const p = await placement(s);
      const host = p.shadows[0];
      const shadow = `orders-shadow-${host}`;
      const instance = `orders-live-${host}`;
      const pidBefore = (await supervisor.describe(path.join(s.stateDir, "pm2"), shadow))?.pid;
      // As decide()'s scaling rule writes them: promote the warm shadow, keep one understudy.
      const changes: Change[] = [
        { kind: "promote", service: "orders", rule: "scaling", priority: "scale-up", reason: "bench: scale-up", instance: shadow, host, replaces: null },
        { kind: "setShadows", service: "orders", rule: "scaling", priority: "scale-up", reason: "bench: keep one understudy", from: 0, to: 1, avoid: [] },
      ];
      const r = await decide(changes, instance);
      const pidAfter = (await supervisor.describe(path.join(s.stateDir, "pm2"), shadow))?.pid;
      await sleep(Math.max(0, r.fromMs + MINUTE_MS - at()));
      const preview = await s.stack.preview();
      const previewChanges = Object.entries(preview.changeSummary).filter(([k]) => k !== "same").reduce((a, [, n]) => a + n, 0);
      return { fromMs: r.fromMs, path: { servingMs: r.servingMs, durableMs: r.durableMs, instance, pidBefore, pidAfter, previewChanges } };
    };

    const cold = async (): Promise<Measured> => {
      const p = await placement(s);
      const host = p.free[0];
      const instance = `orders-live-${host}`;
      // No warm shadow to promote: one more live instance, started by the `up` (scaling.ts's cold path).
      const changes: Change[] = [
        { kind: "setReplicas", service: "orders", rule: "scaling", priority: "scale-up", reason: "bench: new instance", from: p.live.length, to: p.live.length + 1, avoid: [] },
      ];
      const r = await decide(changes, instance);
      await sleep(Math.max(0, r.fromMs + MINUTE_MS - at()));
      return { fromMs: r.fromMs, path: { servingMs: r.servingMs, durableMs: r.durableMs, instance } };
    };

    const warmFirst = i % 2 === 0;
    const first = warmFirst ? await warm() : await cold();
    const second = warmFirst ? await cold() : await warm();
    const abortedAt = at();
    abort.abort();
    const records = (await load).records.toArray();
    // The child's clock starts when it does, not at loadT0: its last request was scheduled when it got
    // the abort (open loop, one every 1/RPS s), which puts the two clocks within about one interval.
    const offset = abortedAt - Math.max(...records.map((r) => r.scheduledMs));
    for (const r of records) r.scheduledMs += offset;
    const withMinute = (x: Measured): Path => ({
      ...x.path,
      minute: windowOf(records, x.fromMs, x.fromMs + MINUTE_MS),
      afterUp: windowOf(records, x.fromMs + x.path.durableMs, x.fromMs + MINUTE_MS),
    });
    const [w, c] = warmFirst ? [withMinute(first), withMinute(second)] : [withMinute(second), withMinute(first)];
    const base = windowOf(records, baselineFrom, baselineFrom + 20_000);
    return { order: warmFirst ? "warm, then cold" : "cold, then warm", baseline: { requests: base.requests, failed: base.failed, p99Ms: base.p99Ms }, warm: w, cold: c };
  } finally {
    await s.destroy();
  }
}

async function main(): Promise<void> {
  const rounds: Round[] = [];
  const started = new Date().toISOString();
  const load0 = os.loadavg();
  for (let i = 0; i < ROUNDS; i++) {
    const r = await round(i);
    rounds.push(r);
    process.stdout.write(
      `round ${i + 1}/${ROUNDS} (${r.order}): warm ${r.warm.servingMs.toFixed(0)} ms (up done ${r.warm.durableMs.toFixed(0)} ms, pid ${r.warm.pidBefore}→${r.warm.pidAfter}, preview changes ${r.warm.previewChanges}), ` +
        `cold ${r.cold.servingMs.toFixed(0)} ms; p99 first minute warm ${fmt(r.warm.minute.p99Ms)} / cold ${fmt(r.cold.minute.p99Ms)} ms; failed ${r.warm.minute.failed} / ${r.cold.minute.failed}\n`,
    );
  }
  const m = (f: (r: Round) => number): number => median(rounds.map(f));
  const warmMs = m((r) => r.warm.servingMs);
  const coldMs = m((r) => r.cold.servingMs);
  const failedWarm = rounds.reduce((a, r) => a + r.warm.minute.failed, 0);
  const failedCold = rounds.reduce((a, r) => a + r.cold.minute.failed, 0);
  const samePid = rounds.every((r) => r.warm.pidBefore !== undefined && r.warm.pidBefore === r.warm.pidAfter);
  const noOp = rounds.every((r) => r.warm.previewChanges === 0);
  const result = {
    started,
    rounds: ROUNDS,
    rps: RPS,
    windowSec: MINUTE_MS / 1000,
    conditions: { cpus: os.cpus().length, loadAverageAtStart: load0, loadAverageAtEnd: os.loadavg() },
    median: {
      warmServingMs: warmMs,
      warmDurableMs: m((r) => r.warm.durableMs),
      coldServingMs: coldMs,
      coldDurableMs: m((r) => r.cold.durableMs),
      ratio: coldMs / warmMs,
      warmP99FirstMinuteMs: m((r) => r.warm.minute.p99Ms),
      coldP99FirstMinuteMs: m((r) => r.cold.minute.p99Ms),
      warmP99AfterUpMs: m((r) => r.warm.afterUp.p99Ms),
      coldP99AfterUpMs: m((r) => r.cold.afterUp.p99Ms),
      baselineP99Ms: m((r) => r.baseline.p99Ms),
    },
    failed: { warm: failedWarm, cold: failedCold },
    samePid,
    previewNoOp: noOp,
    targets: {
      warmServingUnder1s: warmMs <= 1000,
      atLeast10xFaster: coldMs / warmMs >= 10,
      noFailedRequest: failedWarm === 0,
    },
    samples: rounds,
  };
  const yes = (b: boolean): string => (b ? "met" : "missed");
  const md = [
    "# Warm promotion vs a new instance (local platform)",
    "",
    `Generated by \`npm run bench:warm\` on ${started}: ${ROUNDS} rounds, each on a fresh stack (1 live instance, 1 shadow warmed by`,
    `100 % mirroring, sync replication, 4 hosts) under ${RPS} client req/s (20 % writes) through HAProxy. In each round the runner's`,
    "apply path runs twice on the same stack, in alternating order: a warm promotion (the local runtime's fast path — the",
    "shadow's role through its admin endpoint, the live slot through HAProxy's runtime API — then config + `up`) and a new",
    "instance (config + `up`, which starts a live process). Serving: decision → the first client request answered by the new",
    "capacity through the load balancer (polled every 5 ms). Up done: decision → the `up` returned.",
    `Machine: ${os.cpus().length} cores, shared (load average ${load0.map((x) => x.toFixed(1)).join(" / ")} at start, ${os.loadavg().map((x) => x.toFixed(1)).join(" / ")} at the end).`,
    "",
    "| path | serving, median ms | up done, median ms | p99 first minute, median ms | p99 rest of the minute after the up, median ms | failed requests (all rounds) |",
    "|---|---|---|---|---|---|",
    `| warm promotion | ${warmMs.toFixed(0)} | ${result.median.warmDurableMs.toFixed(0)} | ${fmt(result.median.warmP99FirstMinuteMs)} | ${fmt(result.median.warmP99AfterUpMs)} | ${failedWarm} |`,
    `| new instance (cold) | ${coldMs.toFixed(0)} | ${result.median.coldDurableMs.toFixed(0)} | ${fmt(result.median.coldP99FirstMinuteMs)} | ${fmt(result.median.coldP99AfterUpMs)} | ${failedCold} |`,
    "",
    `Cold / warm (serving): ${(coldMs / warmMs).toFixed(0)}×. Baseline p99 (20 s before the first decision): ${fmt(result.median.baselineP99Ms)} ms.`,
    "The warm path's `up` also starts the replacement understudy (a new shadow, its PostgreSQL replica and subscription:",
    "decide() keeps one), the cold path's only the new process. The `up` runs the Pulumi engine on the same cores as the",
    "service, so the first minute's p99 includes its CPU; the after-the-up column leaves it out. The clients run in a",
    "process of their own (runLoadProcess), so the inline program's `up` does not delay them.",
    `Promoted process: ${samePid ? "the same pid before and after in every round (no restart)" : "pid changed in some round"}; a preview right after the up: ${noOp ? "no change in every round" : "changes in some round"}.`,
    "",
    "| target | |",
    "|---|---|",
    `| decision → serving ≤ 1 s | ${yes(result.targets.warmServingUnder1s)} (${warmMs.toFixed(0)} ms) |`,
    `| ≥ 10× faster than a new instance | ${yes(result.targets.atLeast10xFaster)} (${(coldMs / warmMs).toFixed(0)}×) |`,
    `| no failed request (warm) | ${yes(result.targets.noFailedRequest)} (${failedWarm}) |`,
    "",
    "## Rounds",
    "",
    "| round | order | warm serving ms | warm up done ms | cold serving ms | cold up done ms | p99 1st min warm / cold ms | failed warm / cold | baseline p99 ms |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${r.order} | ${r.warm.servingMs.toFixed(0)} | ${r.warm.durableMs.toFixed(0)} | ${r.cold.servingMs.toFixed(0)} | ${r.cold.durableMs.toFixed(0)} | ${fmt(r.warm.minute.p99Ms)} / ${fmt(r.cold.minute.p99Ms)} | ${r.warm.minute.failed} / ${r.cold.minute.failed} | ${fmt(r.baseline.p99Ms)} |`,
    ),
    "",
  ].join("\n");
  writeResults("warm", result, md);
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
