// `npm run bench:consistency`: the full Jepsen-style run, sync then async (logical driver): clients
// write unique keys continuously, N events at random (kill -9 of the primary with its host kept
// dead, or a graceful switchover), a shadow added back after each so the next event has a spare.
// Writes bench/results/consistency.json ({ mode, events: [...] } per mode), consistency.md and the
// histories around each event (consistency-history.json).
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, testStack } from "../../test/helpers/stack";
import { replicationConfig } from "../../test/integration/replication/fixture";
import { ConsistencyResult, drawKinds, runConsistency } from "./run";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 4);
const HOSTS = 4 + EVENTS + 1;

/** The first seed from `from` whose random draw has both kinds of event (so each mode sees both). */
function seedWithBoth(from: number): number {
  let seed = from;
  while (new Set(drawKinds(EVENTS, seed)).size < 2 && EVENTS >= 2) seed++;
  return seed;
}

async function runMode(mode: "sync" | "async", base: number, seed: number): Promise<ConsistencyResult> {
  const s = await testStack(`bench-jepsen-${mode}`, replicationConfig(base, { mode, hosts: HOSTS, shadows: 2 }));
  try {
    await s.stack.up({ onOutput: () => undefined });
    // Shadows in use so far: host-3, host-4; each event promotes one, the next free host replaces it.
    let next = 5;
    return await runConsistency({
      root: ROOT,
      stack: s.stack,
      lb: `http://127.0.0.1:${base + 80}`,
      service: "orders",
      mode,
      kinds: { count: EVENTS, seed },
      clients: 4,
      ratePerClient: 25,
      log: (l) => void process.stdout.write(`[${mode}] ${l}\n`),
      afterEvent: async () => {
        const svc = JSON.parse((await s.stack.getConfig("understudy:services")).value) as { orders: { store: { host: string }; shadows: { hosts?: string[] } } };
        const shadows = (svc.orders.shadows.hosts ?? ["host-3", "host-4"]).filter((h) => h !== svc.orders.store.host);
        const hosts = [svc.orders.store.host, ...shadows, `host-${next++}`];
        await s.stack.removeConfig("understudy:services.orders.shadows.hosts", true).catch(() => undefined);
        await s.stack.setAllConfig(
          Object.fromEntries([["understudy:services.orders.shadows.count", { value: String(hosts.length) }], ...hosts.map((h, i) => [`understudy:services.orders.shadows.hosts[${i}]`, { value: h }])]) as Record<string, { value: string }>,
          true,
        );
        await s.stack.up({ onOutput: () => undefined });
      },
    });
  } finally {
    await s.destroy();
  }
}

function report(results: ConsistencyResult[]): string {
  const lines = [
    "# Consistency under failover (Jepsen-style, local platform, logical driver)",
    "",
    `4 clients × 25 writes/s of unique keys through HAProxy; ${EVENTS} events per mode drawn at random (kill -9 of the primary's cluster with its address held dead, or a graceful switchover); each promotion by the promotion module (fence or STONITH, catch-up, sequences, repoint = config + up); a shadow added back after each event. Checked on the new primary after each event: every acknowledged write present, no duplicate, no phantom.`,
    "",
    "| mode | event | from → to | acknowledged | lost | duplicates | phantoms | writes unavailable ms | promotion ms |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    for (const e of r.events) lines.push(`| ${r.mode} | ${e.kind} | ${e.from} → ${e.to} | ${e.acknowledged} | ${e.lost} | ${e.duplicates} | ${e.phantoms} | ${e.unavailableMs} | ${e.promotionMs} |`);
  }
  lines.push("");
  for (const r of results) lines.push(`${r.mode}: ${r.history.attempts} writes attempted, ${r.history.acknowledged} acknowledged, ${r.history.failed} failed or timed out (indeterminate).`);
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const results = [await runMode("sync", 21000, seedWithBoth(7)), await runMode("async", 22000, seedWithBoth(11))];
  const dir = path.join(ROOT, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const summary = results.map((r) => ({
    mode: r.mode,
    events: r.events.map((e) => ({ kind: e.kind, acknowledged: e.acknowledged, lost: e.lost, duplicates: e.duplicates, phantoms: e.phantoms, unavailableMs: e.unavailableMs, from: e.from, to: e.to, promotionMs: e.promotionMs, lostKeys: e.lostKeys, rpo: e.rpo })),
  }));
  fs.writeFileSync(path.join(dir, "consistency.json"), JSON.stringify(summary, null, 2) + "\n");
  // Histories: every attempt as [key, start ms, end ms, status] (status 0 = network error or timeout).
  const histories = results.map((r) => ({ mode: r.mode, attempts: r.history.attemptsLog.map((a) => [a.key, a.start, a.end, a.status]) }));
  fs.writeFileSync(path.join(dir, "consistency-history.json"), JSON.stringify(histories) + "\n");
  fs.writeFileSync(path.join(dir, "consistency.md"), report(results));
  process.stdout.write(report(results));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
