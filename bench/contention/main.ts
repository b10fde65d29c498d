// `npm run bench:contention`: a shadow-count change by `up` under live load while 0, 1 or 2 CPU hogs
// (bounded busy loops this benchmark starts and stops) compete for the cores. The stack is the shape
// of the integration test "shadow count 1 → 2 → 0 by `up` under load": 2 live, sync replication,
// mirroring 50 %. Every round is one `up` of the count cycle 1 → 2 → 0 → 1; hog levels are
// interleaved and rotated so each level meets every kind of change. Target: 0 failed requests in
// every round.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeConfig } from "../../automation/engine";
import { runLoadProcess } from "../../demo/loadgen";
import { TestStack } from "../../test/helpers/stack";
import { fmt, upStack, writeResults } from "../shadow/common";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const RPS = Number(process.env.BENCH_RPS ?? 40);
const LEVELS = [0, 1, 2];
const LB = "http://127.0.0.1:33080";
/** After the `up`, load continues this long: a failure caused by the change shows up inside it. */
const SETTLE_MS = 2000;
/** A hog stops by itself after this long even if the benchmark dies. */
const HOG_MAX_MS = 180_000;

function config(count: number): Record<string, unknown> {
  return {
    "understudy:hosts": ["host-1", "host-2", "host-3", "host-4"],
    "understudy:loadBalancer": { port: 33080, statsPort: 33404, checkIntervalMs: 500 },
    "understudy:prometheus": { port: 33090, scrapeIntervalSeconds: 1 },
    "understudy:services": {
      orders: {
        command: "node dist/demo/service/main.js",
        port: 33100,
        replicas: 2,
        store: { host: "host-1", port: 33432, database: "orders", schema: "demo/schema/orders.sql" },
        replication: { mode: "sync", metricsPort: 33187 },
        shadows: { count, mirrorPercent: 50 },
      },
    },
  };
}

function startHogs(n: number): ChildProcess[] {
  const loop = `const end = Date.now() + ${HOG_MAX_MS}; while (Date.now() < end) {}`;
  return Array.from({ length: n }, () => spawn(process.execPath, ["-e", loop], { stdio: "ignore" }));
}

async function stopHogs(hogs: ChildProcess[]): Promise<void> {
  await Promise.all(
    hogs.map(
      (h) =>
        new Promise<void>((resolve) => {
          if (h.exitCode !== null || h.signalCode !== null) return resolve();
          h.once("exit", () => resolve());
          h.kill("SIGKILL");
        }),
    ),
  );
}

/** HAProxy logs only abnormal requests: the lines its log gained during a round say where one failed. */
function lbLogSize(s: TestStack): number {
  try {
    return fs.statSync(path.join(s.stateDir, "logs", "orders-lb.log")).size;
  } catch {
    return 0;
  }
}

function lbLogSince(s: TestStack, from: number): string[] {
  try {
    const text = fs.readFileSync(path.join(s.stateDir, "logs", "orders-lb.log"), "utf8").slice(from);
    return text.split("\n").filter((l) => / fe_orders /.test(l)).slice(0, 20);
  } catch {
    return [];
  }
}

interface Round {
  hogs: number;
  round: number;
  change: string;
  requests: number;
  failed: number;
  outcomes: Record<string, number>;
  failedKinds: Record<string, number>;
  maxLatencyMs: number;
  upMs: number;
  loadAverage: number;
  haproxyAbnormal: string[];
}

async function main(): Promise<void> {
  let count = 1;
  const s = await upStack("bench-contention", config(count));
  const rounds: Round[] = [];
  const next: Record<number, number> = { 1: 2, 2: 0, 0: 1 };
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (let j = 0; j < LEVELS.length; j++) {
        const hogs = LEVELS[(j + r) % LEVELS.length];
        const to = next[count];
        const change = `${count} → ${to}`;
        await writeConfig(s.stack, config(to));
        const workers = startHogs(hogs);
        const logFrom = lbLogSize(s);
        try {
          await new Promise((res) => setTimeout(res, 1000)); // the hogs are running before the load starts
          const ac = new AbortController();
          // Clients in their own process: this one runs the `up`'s Pulumi program inline, which holds
          // its event loop for seconds under the hogs (a client here would time out answered requests).
          const load = runLoadProcess({ target: LB, rps: RPS, durationSec: 600, writeRatio: 0.3, seed: 1000 + rounds.length }, ac.signal);
          await new Promise((res) => setTimeout(res, 1000));
          const t = Date.now();
          await s.stack.up({ onOutput: () => undefined });
          const upMs = Date.now() - t;
          await new Promise((res) => setTimeout(res, SETTLE_MS));
          ac.abort();
          const result = await load;
          const records = result.records.toArray();
          const failed = records.filter((x) => !(x.status >= 200 && x.status < 400));
          const failedKinds: Record<string, number> = {};
          for (const f of failed) failedKinds[`${f.kind} ${f.error ?? f.status}`] = (failedKinds[`${f.kind} ${f.error ?? f.status}`] ?? 0) + 1;
          const row: Round = {
            hogs,
            round: r + 1,
            change,
            requests: result.requests,
            failed: result.failed,
            outcomes: result.outcomes,
            failedKinds,
            maxLatencyMs: Math.max(0, ...records.map((x) => x.latencyMs).filter(Number.isFinite)),
            upMs,
            loadAverage: os.loadavg()[0],
            haproxyAbnormal: lbLogSince(s, logFrom),
          };
          rounds.push(row);
          count = to;
          process.stdout.write(`round ${r + 1}/${ROUNDS} hogs ${hogs} ${change}: ${row.requests} requests, ${row.failed} failed ${JSON.stringify(failedKinds)}, max ${fmt(row.maxLatencyMs)} ms, up ${(upMs / 1000).toFixed(1)} s, load ${row.loadAverage.toFixed(1)}\n`);
        } finally {
          await stopHogs(workers);
        }
      }
    }
  } finally {
    await s.destroy();
  }
  const byLevel = LEVELS.map((hogs) => {
    const rs = rounds.filter((x) => x.hogs === hogs);
    return {
      hogs,
      rounds: rs.length,
      requests: rs.reduce((a, x) => a + x.requests, 0),
      failedPerRound: rs.map((x) => x.failed),
      roundsWithFailures: rs.filter((x) => x.failed > 0).length,
      maxLatencyMs: Math.max(0, ...rs.map((x) => x.maxLatencyMs)),
      medianUpSec: rs.map((x) => x.upMs / 1000).sort((a, b) => a - b)[Math.floor(rs.length / 2)] ?? NaN,
    };
  });
  const met = byLevel.every((l) => l.roundsWithFailures === 0);
  const md = [
    "# Shadow-count changes under CPU contention (local platform)",
    "",
    `${RPS} req/s open-loop (30 % writes) through HAProxy to 2 live instances; sync replication; mirroring 50 %. Each round is one \`up\` changing the shadow count (cycle 1 → 2 → 0 → 1), load from 1 s before the \`up\` to ${SETTLE_MS / 1000} s after it, with 0, 1 or 2 busy-loop hogs (one core each) running throughout. ${ROUNDS} rounds per level, levels interleaved.`,
    "",
    `Target: 0 failed requests in every round — ${met ? "met" : "**not met**"}.`,
    "",
    "| hogs | rounds | requests | failed per round | rounds with failures | max latency ms | median `up` s |",
    "|---|---|---|---|---|---|---|",
    ...byLevel.map((l) => `| ${l.hogs} | ${l.rounds} | ${l.requests} | ${l.failedPerRound.join(", ")} | ${l.roundsWithFailures} | ${fmt(l.maxLatencyMs)} | ${fmt(l.medianUpSec)} |`),
    "",
    "Failed requests by round (kind and error), with HAProxy's log of abnormal requests in the JSON:",
    "",
    ...rounds.filter((x) => x.failed > 0).map((x) => `- hogs ${x.hogs}, round ${x.round}, ${x.change}: ${JSON.stringify(x.failedKinds)}`),
    ...(rounds.some((x) => x.failed > 0) ? [] : ["- none"]),
    "",
    `Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(", ")} (${os.cpus().length} CPUs; the machine's other work adds to the hogs).`,
    "",
  ].join("\n");
  writeResults("contention", { rps: RPS, rounds: ROUNDS, settleMs: SETTLE_MS, met, byLevel, detail: rounds }, md);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
