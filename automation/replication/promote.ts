// Store failover, consistency first (DESIGN.md "Store failover"): fence the old primary (or make
// sure a dead one stays dead), wait until the chosen shadow applied every acknowledged write, carry
// sequences over, detach it and open it for writes, then repoint the stack at it: the next `up`
// restarts live instances on the new primary and re-creates replication to the other shadows.
import { bigIntToLsn } from "../../components/postgres/sql";
import { Observation, ReplicationDriver, ReplicationTopology } from "./driver";
import { choosePromotion, PromotionPolicy } from "./plan";
import { advanceSequences, allowWrites, fence, fenceMarker, fingerprint, SequenceMove, unfence } from "./primaryControl";

export class PromotionRefused extends Error {
  constructor(
    readonly service: string,
    readonly reasons: string[],
  ) {
    super(`promotion of '${service}' refused: ${reasons.join("; ")}`);
    this.name = "PromotionRefused";
  }
}

export interface PromotionRequest {
  topology: ReplicationTopology;
  driver: ReplicationDriver;
  policy: PromotionPolicy;
  /** A shadow host; default: chosen (least behind, or most advanced when the primary is dead). */
  to?: string;
  /** Make sure an unreachable primary cannot come back and take writes (local: stop it in the supervisor). */
  stonith: (host: string) => Promise<void>;
  /** Point the stack at the new primary (stack config + up); omitted = the caller does it. */
  repoint?: (host: string) => Promise<void>;
  log?: (line: string) => void;
}

export interface PromotionReport {
  service: string;
  from: string;
  to: string;
  driver: string;
  mode: string;
  /** How the old primary was stopped from writing. */
  oldPrimary: "fenced" | "dead";
  reasons: string[];
  /** Fence marker (alive) or the promoted replica's applied position (dead), as pg_lsn text. */
  position?: string;
  /** Acknowledged writes lost: 0 when proven, null when it cannot be known (async, dead primary). */
  rpo: { lostWrites: number | null; proven: boolean; note: string };
  sequences: SequenceMove[];
  timings: { observeMs: number; fenceMs: number; catchUpMs: number; switchMs: number; writableAfterMs: number; repointMs?: number; totalMs: number };
}

async function checkSchema(t: ReplicationTopology, target: string, o: Observation): Promise<string | undefined> {
  const url = (host: string): string => t.replicas.find((r) => r.host === host)?.url ?? t.primary.url;
  const mine = await fingerprint(url(target), t.tables);
  const references = o.primary.reachable ? [t.primary.host] : o.replicas.filter((r) => r.host !== target && r.state !== "unreachable").map((r) => r.host);
  for (const ref of references) {
    const theirs = await fingerprint(ref === t.primary.host ? t.primary.url : url(ref), t.tables).catch(() => undefined);
    if (theirs !== undefined && theirs !== mine) return `the schema of ${target} differs from ${ref}'s (columns, types or keys of ${t.tables.join(", ")})`;
  }
  if (!mine.includes(" pk")) return `${target} lacks the primary keys of ${t.tables.join(", ")}`;
  return undefined;
}

export async function promote(req: PromotionRequest): Promise<PromotionReport> {
  const t = req.topology;
  const log = req.log ?? (() => undefined);
  const started = Date.now();
  const o = await req.driver.observe(t);
  const observeMs = Date.now() - started;
  const choice = choosePromotion(o, req.policy, req.to);
  if (!choice.ok) throw new PromotionRefused(t.service, choice.reasons);
  const target = choice.target;
  const replica = t.replicas.find((r) => r.host === target);
  if (!replica) throw new PromotionRefused(t.service, [`no replica on ${target}`]);
  const schemaProblem = await checkSchema(t, target, o);
  if (schemaProblem) throw new PromotionRefused(t.service, [schemaProblem]);
  log(`promoting ${target} (${choice.reasons.join("; ")})`);

  const fenceStart = Date.now();
  let position: bigint | undefined;
  let catchUpMs = 0;
  if (choice.primaryAlive) {
    await fence(t.primary.url);
    const marker = await fenceMarker(t.primary.url);
    position = marker.lsn;
    log(`old primary ${t.primary.host} fenced at ${bigIntToLsn(position)}`);
    const waitStart = Date.now();
    try {
      await req.driver.waitApplied(t, target, marker, waitStart + req.policy.maxLagSeconds * 1000 + 1000);
    } catch (e) {
      await unfence(t.primary.url).catch(() => undefined);
      throw new PromotionRefused(t.service, [`${target} did not catch up within the lag bound: ${(e as Error).message}; the old primary takes writes again`]);
    }
    catchUpMs = Date.now() - waitStart;
  } else {
    await req.stonith(t.primary.host);
    position = o.replicas.find((r) => r.host === target)?.appliedLsn;
    log(`old primary ${t.primary.host} unreachable: stopped for good; ${target} applied up to ${position !== undefined ? bigIntToLsn(position) : "?"}`);
  }
  const fenceMs = Date.now() - fenceStart - catchUpMs;

  const switchStart = Date.now();
  await req.driver.detach(t, target);
  const sequences = await advanceSequences(replica.url, t.tables, choice.primaryAlive ? t.primary.url : undefined);
  await allowWrites(replica.url);
  const switchMs = Date.now() - switchStart;
  const writableAfterMs = Date.now() - fenceStart;
  log(`${target} takes writes (${writableAfterMs} ms after the fence)`);

  let repointMs: number | undefined;
  if (req.repoint) {
    const r0 = Date.now();
    await req.repoint(target);
    repointMs = Date.now() - r0;
  }
  const behind = o.replicas.find((r) => r.host === target);
  const rpo = choice.primaryAlive
    ? { lostWrites: 0, proven: true, note: "the old primary was fenced and the shadow applied past its last write" }
    : req.policy.mode === "sync" && !req.policy.acceptDataLoss
      ? { lostWrites: 0, proven: true, note: "sync mode: every acknowledged commit reached at least one shadow, and the most advanced one was promoted" }
      : {
          lostWrites: null,
          proven: false,
          note: `async: commits the dead primary acknowledged after ${position !== undefined ? bigIntToLsn(position) : "the shadow's last applied position"} are lost (last seen ${behind?.lagBytes ?? "?"} bytes behind)`,
        };
  return {
    service: t.service,
    from: t.primary.host,
    to: target,
    driver: t.driver,
    mode: t.mode,
    oldPrimary: choice.primaryAlive ? "fenced" : "dead",
    reasons: choice.reasons,
    position: position !== undefined ? bigIntToLsn(position) : undefined,
    rpo,
    sequences,
    timings: { observeMs, fenceMs, catchUpMs, switchMs, writableAfterMs, repointMs, totalMs: Date.now() - started },
  };
}
