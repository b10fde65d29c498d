// A Jepsen-style consistency run against a real stack: clients write unique keys through the load
// balancer; N times the primary is killed (kill -9, host gone) or switched over gracefully, the
// promotion module fails over, and the new primary is checked against every acknowledgement.
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { sql } from "../../test/integration/replication/fixture";
import { localStonith, promoteService } from "../../components/platforms/local/runtime/promoter";
import { PromotionReport } from "../../automation/replication/promote";
import { topologyFromState } from "../../components/platforms/local/runtime/topology";
import { longestGap, verdict } from "./check";
import { killStore } from "./faults";
import { Attempt, startWriters } from "./writers";
import { seededRandom } from "../../automation/forecast/random";

export type EventKind = "kill" | "switchover";

export interface EventResult {
  kind: EventKind;
  from: string;
  to: string;
  acknowledged: number;
  lost: number;
  duplicates: number;
  phantoms: number;
  unavailableMs: number;
  promotionMs: number;
  writableAfterMs: number;
  lostKeys: string[];
  phantomKeys: string[];
  rpo: PromotionReport["rpo"];
}

export interface ConsistencyResult {
  mode: "sync" | "async";
  events: EventResult[];
  history: { attempts: number; acknowledged: number; failed: number; attemptsLog: Attempt[] };
}

export interface ConsistencyOptions {
  root: string;
  stack: Stack;
  lb: string;
  service: string;
  mode: "sync" | "async";
  /** The events, in order (tests); or a count drawn at random with `seed` (bench). */
  kinds: EventKind[] | { count: number; seed: number };
  clients: number;
  ratePerClient: number;
  /** After each event (bench: add a shadow back so the next event has a spare). */
  afterEvent?: (i: number) => Promise<void>;
  log?: (line: string) => void;
}

async function until(what: string, f: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** N events drawn at random (seeded): each a kill -9 or a graceful switchover. */
export function drawKinds(count: number, seed: number): EventKind[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (): EventKind => (rand() < 0.5 ? "kill" : "switchover"));
}

export async function runConsistency(o: ConsistencyOptions): Promise<ConsistencyResult> {
  const log = o.log ?? (() => undefined);
  const kinds = Array.isArray(o.kinds) ? o.kinds : drawKinds(o.kinds.count, o.kinds.seed);
  const prefix = `jepsen-${o.mode}-${Date.now().toString(36)}`;
  const w = startWriters(o.lb, { clients: o.clients, ratePerClient: o.ratePerClient, prefix });
  const events: EventResult[] = [];
  const pm2Home = path.join(o.root, ".understudy", o.stack.name, "pm2");
  try {
    await until("first acknowledged write", () => w.acked.size > 0, 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    for (const [i, kind] of kinds.entries()) {
      const topo = topologyFromState(await o.stack.exportStack(), o.service);
      const primary = new URL(topo.primary.url);
      log(`event ${i + 1}/${kinds.length}: ${kind} of the primary on ${topo.primary.host} (${w.acked.size} acknowledged so far)`);
      const t0 = Date.now();
      let release: (() => Promise<void>) | undefined;
      if (kind === "kill") release = await killStore(pm2Home, `${o.service}-store-${topo.primary.host}`, primary.hostname, Number(primary.port));
      let report: PromotionReport;
      try {
        report = await promoteService({
          root: o.root,
          stack: o.stack,
          service: o.service,
          stonith: async (host) => {
            await localStonith(o.root, o.stack.name, o.service)(host);
            await release?.();
            release = undefined;
          },
          log: (l) => (/^(promoting|old primary|.* takes writes)/.test(l) ? log(`  ${l}`) : undefined),
        });
      } finally {
        await release?.();
      }
      const promotedAt = Date.now();
      await until("writes accepted on the new primary", () => [...w.acked.values()].some((t) => t > promotedAt), 60_000);
      const resumed = Math.min(...[...w.acked.values()].filter((t) => t > promotedAt));
      const newUrl = topo.replicas.find((r) => r.host === report.to)?.url ?? "";
      const ackedBefore = [...w.acked.keys()];
      const rows = await sql<{ request_id: string }>(newUrl, "SELECT request_id FROM orders WHERE request_id LIKE $1", [`${prefix}-%`]);
      const v = verdict(ackedBefore, w.attempted, rows.map((r) => r.request_id));
      const e: EventResult = {
        kind,
        from: report.from,
        to: report.to,
        ...v,
        unavailableMs: longestGap([...w.acked.values()], t0, resumed),
        promotionMs: report.timings.totalMs,
        writableAfterMs: report.timings.writableAfterMs,
        rpo: report.rpo,
      };
      log(`  ${report.from} → ${report.to}: acknowledged ${e.acknowledged}, lost ${e.lost}, duplicates ${e.duplicates}, phantoms ${e.phantoms}, writes unavailable ${e.unavailableMs} ms (promotion ${e.promotionMs} ms)`);
      events.push(e);
      await o.afterEvent?.(i);
    }
  } finally {
    await w.stop();
  }
  const failed = w.attempts.filter((a) => a.status !== 200 && a.status !== 201).length;
  return { mode: o.mode, events, history: { attempts: w.attempts.length, acknowledged: w.acked.size, failed, attemptsLog: w.attempts } };
}
