// `npm run bench:mirror`: live latency with mirroring off vs 100 % to a healthy shadow, to a shadow
// that answers after 2 s, and to a dead shadow — interleaved rounds at the same load, one run — with
// the shadow's host sharing both cores with the live path, and isolated on a core of its own (as on
// another host; see placement.ts), side by side. BENCH_PLACEMENTS=shared or =isolated runs one.
import * as os from "node:os";
import * as path from "node:path";
import { localWeights } from "../../components/platforms/local/runtime/routing";
import { writeConfig } from "../../automation/engine";
import * as supervisor from "../../components/platforms/local/impl/supervisor";
import { runLoadProcess } from "../../demo/loadgen";
import { get, TestStack } from "../../test/helpers/stack";
import { benchConfig, fmt, LB, upStack, writeResults } from "../shadow/common";
import { cpusetPlacer, Placement, Side } from "./placement";

const RPS = Number(process.env.BENCH_RPS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
type Case = "off" | "healthy" | "slow-2s" | "dead";
const CASES: Case[] = ["off", "healthy", "slow-2s", "dead"];
const PLACEMENTS = (process.env.BENCH_PLACEMENTS ?? "shared,isolated").split(",").map((p): Placement => {
  if (p !== "shared" && p !== "isolated") throw new Error(`unknown placement ${p} (shared, isolated)`);
  return p;
});
/** The shadow's host in benchConfig: its instance and its store. */
const SHADOW_HOST = /-host-3$/;
const sideOf = (app: string): Side => (SHADOW_HOST.test(app) ? "shadow" : app === "prometheus" ? "other" : "live");
/**
 * The clients' priority. They stand for clients on other hosts but share a core with the shadow's
 * host (isolated) or with everything (shared): raised, the shadow's work on the copies does not delay
 * the instrument itself, only what it measures. Every case gets the same.
 */
const CLIENT_NICENESS = -10;
const LB_THREADS = Number(process.env.BENCH_LB_THREADS ?? 1);

async function mirrorCounts(): Promise<Record<string, number>> {
  const text = (await get("http://127.0.0.1:16404/mirror-metrics")).body;
  return Object.fromEntries([...text.matchAll(/outcome="(\w+)"} (\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

/**
 * Put the shadow in the state a case needs: the stack's config carries the 2 s delay (an `up`
 * replaces the shadow, or brings back the one the dead case removed); `dead` removes it.
 */
let shadowState = "healthy"; // what the running stack has: the last case prepared
/** Prepares a case; true when that took an `up` (the engine ran in this process, a shadow was replaced). */
async function prepare(s: TestStack, c: Case): Promise<boolean> {
  const wanted = c === "slow-2s" ? "slow-2s" : "healthy";
  // An `up` only where the shadow must change (off ↔ healthy is the same shadow): on a busy machine
  // each one takes tens of seconds.
  const up = c !== "dead" && shadowState !== wanted;
  if (up) {
    const shadows = { count: 1, mirrorPercent: 0, env: c === "slow-2s" ? { FAULT_DELAY_MS: "2000" } : {} };
    await writeConfig(s.stack, { "understudy:services": benchConfig(shadows)["understudy:services"] });
    // The dead case removed the shadow behind the engine's back: with the config unchanged (dead →
    // off, after healthy), a plain `up` finds nothing to do and the next cases would run without a
    // shadow. A refresh reads the process as missing, so the `up` starts it again.
    await s.stack.up({ onOutput: () => undefined, refresh: shadowState === "dead" });
  }
  shadowState = c === "dead" ? "dead" : wanted;
  if (c === "dead") await supervisor.remove(path.join(s.stateDir, "pm2"), "orders-shadow-host-3");
  await localWeights(s.stateDir, "orders").set("mirror_percent", c === "off" ? 0 : 100);
  await new Promise((r) => setTimeout(r, 3000)); // health checks settle, the replaced shadow warms
  return up;
}

const median = (xs: number[]): number => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length === 0 ? NaN : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

type Acc = { requests: number; failed: number; lat: number[]; mirrored: number; dropped: number; roundP99: number[] };
const empty = (): Acc => ({ requests: 0, failed: 0, lat: [], mirrored: 0, dropped: 0, roundP99: [] });

async function main(): Promise<void> {
  const base = benchConfig({ count: 1 });
  const s = await upStack("bench-mirror", { ...base, "understudy:loadBalancer": { ...(base["understudy:loadBalancer"] as object), threads: LB_THREADS } });
  const placer = PLACEMENTS.includes("isolated") ? cpusetPlacer(path.join(s.stateDir, "pm2"), sideOf) : undefined;
  const acc = new Map<string, Acc>();
  const key = (p: Placement, c: Case) => `${p}/${c}`;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Placements alternate in order from round to round; cases rotate, so the case that runs just
      // after processes moved between cores is a different one each round, not always mirror-off.
      const order = round % 2 === 0 ? PLACEMENTS : [...PLACEMENTS].reverse();
      const cases = CASES.map((_, i) => CASES[(i + round) % CASES.length]);
      for (const placement of order) {
        for (const [i, c] of cases.entries()) {
          const upRan = await prepare(s, c);
          // After the `up`: a replaced shadow is a new process, placed now.
          const placed = placer ? await placer.apply(placement) : undefined;
          // Unmeasured load first: connection pools and JIT warm again after an `up` (a replaced
          // shadow, a new HAProxy connection to it), and after a placement change the moved
          // processes settle on their cores. Every case after either gets the same longer warm-up:
          // the 2 s-slow case follows an `up` in every round.
          await runLoadProcess({ target: LB, rps: RPS, durationSec: i === 0 || upRan ? 3 : 1, writeRatio: 0.2, seed: 1, maxSockets: 256 }, undefined, CLIENT_NICENESS);
          const m0 = await mirrorCounts();
          const r = await runLoadProcess({ target: LB, rps: RPS, durationSec: SECONDS, writeRatio: 0.2, seed: 100 + round, maxSockets: 256 }, undefined, CLIENT_NICENESS);
          await new Promise((res) => setTimeout(res, c === "slow-2s" ? 2500 : 300));
          const m1 = await mirrorCounts();
          const a = acc.get(key(placement, c)) ?? empty();
          a.roundP99.push(r.latencyMs.p99 ?? NaN);
          a.requests += r.requests;
          a.failed += r.failed;
          for (const rec of r.records.toArray()) if (Number.isFinite(rec.latencyMs)) a.lat.push(rec.latencyMs);
          const sent = (m1.sent ?? 0) - (m0.sent ?? 0);
          const notSent = ["failed", "dropped_inflight", "dropped_body", "dropped_method", "no_shadow"].reduce((x, k) => x + (m1[k] ?? 0) - (m0[k] ?? 0), 0);
          a.mirrored += sent;
          a.dropped += notSent;
          acc.set(key(placement, c), a);
          process.stdout.write(`round ${round + 1}/${ROUNDS} ${placement.padEnd(8)} ${c.padEnd(8)} requests ${r.requests} failed ${r.failed} p99 ${fmt(r.latencyMs.p99)} ms, copies sent ${sent}, not sent ${notSent}${placed ? ` (pids live ${placed.live}, shadow ${placed.shadow}, other ${placed.other})` : ""}\n`);
          // A round that did not run the case it is named for (no shadow in the healthy case, copies
          // in the off or dead case) would count as that case: stop instead.
          const wrong = c === "healthy" ? sent < 0.9 * r.requests : c === "dead" ? sent > 0 : c === "off" ? sent + notSent > 0 : sent === 0;
          if (wrong) throw new Error(`round ${round + 1} ${placement} ${c}: ${sent} copies sent, ${notSent} not sent for ${r.requests} requests; the shadow was not in the state the case needs`);
        }
      }
    }
  } finally {
    placer?.close();
    await s.destroy();
  }
  const { percentile } = await import("../../demo/loadgen");
  const cases = PLACEMENTS.flatMap((placement) => {
    const off = acc.get(key(placement, "off"));
    const offP99 = percentile(off?.lat ?? [], 99);
    return CASES.map((c) => {
      const a = acc.get(key(placement, c)) ?? empty();
      const p99 = percentile(a.lat, 99);
      // Each round's p99 against the same round's mirror-off p99 in the same placement (rounds are
      // interleaved, so a ratio compares like with like); the median over rounds is what the target is
      // checked on.
      const ratios = a.roundP99.map((x, i) => x / (off?.roundP99[i] ?? NaN));
      return {
        placement,
        case: c,
        requests: a.requests,
        failed: a.failed,
        p50Ms: percentile(a.lat, 50),
        p99Ms: p99,
        p99RatioToOff: p99 / offP99,
        roundP99RatiosToOff: ratios.map((x) => Math.round(x * 1000) / 1000),
        medianRoundP99RatioToOff: median(ratios),
        mirrored: a.mirrored,
        dropped: a.dropped,
      };
    });
  });
  const target = 1.1;
  const md = [
    "# Mirroring overhead on the live path (local platform)",
    "",
    `${RPS} req/s open-loop (20 % writes) through HAProxy (${LB_THREADS > 0 ? `${LB_THREADS} thread${LB_THREADS > 1 ? "s" : ""}` : "one thread per CPU"}), 2 live + 1 shadow; ${ROUNDS} interleaved rounds of ${SECONDS} s per case. Mirroring: HAProxy Lua action → core.register_task + core.httpclient (the live request never waits), at most 64 copies in flight. The load generator runs in a process of its own at niceness ${CLIENT_NICENESS} in every case.`,
    "",
    "Placement: **shared** — every process may run on both cores; **isolated** — the live host (live instances, HAProxy, the primary PostgreSQL, with their children) alone on core 0 in a cgroup v1 cpuset; on core 1 what a deployment runs on other hosts: the shadow's host (its instance and its PostgreSQL), Prometheus, the clients and the Pulumi engine (this benchmark's process), and any other work on the machine.",
    "",
    `Target: live p99 ≤ ${target}× mirror-off in every case, checked on the median over rounds of each round's p99 ratio to the same round's mirror-off p99 (pooled p99 shown beside it).`,
    "",
    "| placement | case | requests | failed | p50 ms | p99 ms (pooled) | p99 / off (pooled) | p99 / off per round | median per-round ratio | met | mirrored | dropped or failed copies |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...cases.map(
      (c) =>
        `| ${c.placement} | ${c.case} | ${c.requests} | ${c.failed} | ${fmt(c.p50Ms)} | ${fmt(c.p99Ms)} | ${c.p99RatioToOff.toFixed(2)} | ${c.roundP99RatiosToOff.map((x) => x.toFixed(2)).join(", ")} | ${c.medianRoundP99RatioToOff.toFixed(2)} | ${c.medianRoundP99RatioToOff <= target ? "yes" : "**no**"} | ${c.mirrored} | ${c.dropped} |`,
    ),
    "",
    `Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(", ")} (2 CPUs; other work on the machine inflates tails).`,
    "",
  ].join("\n");
  writeResults("mirror", { rps: RPS, rounds: ROUNDS, secondsPerCase: SECONDS, placements: PLACEMENTS, targetP99Ratio: target, loadAverage: os.loadavg(), cases }, md);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
