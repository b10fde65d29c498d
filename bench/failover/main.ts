// `npm run bench:failover`: 300 req/s steady through HAProxy; kill -9 one live instance, later every
// live instance; failed client requests and p99 during each event vs before.
import { execFileSync } from "node:child_process";
import { runLoad } from "../../demo/loadgen";
import { benchConfig, fmt, LB, upStack, window, writeResults } from "../shadow/common";

const RPS = Number(process.env.BENCH_RPS ?? 300);
const EVENT_WINDOW_MS = 3000;

async function main(): Promise<void> {
  const s = await upStack("bench-failover", benchConfig({ count: 1 }));
  try {
    // The live instances' processes, found by their listening address (host-1 = 127.0.1.1, …).
    const pidsOf = (hosts: string[]): number[] => {
      const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
      return hosts.flatMap((h) => [...out.matchAll(new RegExp(`${h.replace(/\./g, "\\.")}:16100 .*?pid=(\\d+)`, "g"))].map((m) => Number(m[1])));
    };
    const events = [
      { event: "kill -9 one live instance", atMs: 6000, hosts: ["127.0.1.1"] },
      { event: "kill -9 every live instance", atMs: 14000, hosts: ["127.0.1.1", "127.0.1.2"] },
    ];
    const load = runLoad({ target: LB, rps: RPS, durationSec: 20, writeRatio: 0.2, seed: 11, maxSockets: 256 });
    const t0 = Date.now();
    for (const e of events) {
      await new Promise((r) => setTimeout(r, e.atMs - (Date.now() - t0)));
      for (const pid of pidsOf(e.hosts)) process.kill(pid, "SIGKILL");
    }
    const result = await load;
    const records = result.records.toArray();
    const before = window(records, 1000, events[0].atMs);
    const rows = events.map((e) => {
      const during = window(records, e.atMs, e.atMs + EVENT_WINDOW_MS);
      const inWindow = records.filter((r) => r.scheduledMs >= e.atMs && r.scheduledMs < e.atMs + EVENT_WINDOW_MS);
      const failedWrites = inWindow.filter((r) => r.kind === "write" && !(r.status >= 200 && r.status < 400)).length;
      return { event: e.event, requests: during.requests, failed: during.failed, failedReads: during.failed - failedWrites, failedWrites, p99BeforeMs: before.p99Ms, p99DuringMs: during.p99Ms };
    });
    const md = [
      "# Failover (local platform)",
      "",
      `${RPS} req/s open-loop through HAProxy (20 % writes with idempotency keys), 2 live + 1 shadow demo-service instances; windows of ${EVENT_WINDOW_MS / 1000} s after each event. Total: ${result.requests} requests, ${result.failed} failed.`,
      "",
      "| event | requests | failed | failed reads | failed writes | p99 before ms | p99 during ms |",
      "|---|---|---|---|---|---|---|",
      ...rows.map((r) => `| ${r.event} | ${r.requests} | ${r.failed} | ${r.failedReads} | ${r.failedWrites} | ${fmt(r.p99BeforeMs)} | ${fmt(r.p99DuringMs)} |`),
      "",
      "Writes while every live instance is down reach a shadow, which refuses them (503) until it is promoted: consistency first. Reads are served by the shadow.",
      "",
      `Outcomes: ${JSON.stringify(result.outcomes)}`,
      "",
    ].join("\n");
    writeResults("failover", { rps: RPS, events: rows, total: { requests: result.requests, failed: result.failed } }, md);
  } finally {
    await s.destroy();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
