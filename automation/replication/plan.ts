// Which shadow to promote, or why none may be: a pure function of one observation and the policy.
import { Observation, ReplicaObservation } from "./driver";

export interface PromotionPolicy {
  mode: "sync" | "async";
  maxLagSeconds: number;
  /** Promote even when acknowledged writes might be lost (dead primary, a replica out of sight). */
  acceptDataLoss?: boolean;
}

export type Choice = { ok: true; target: string; primaryAlive: boolean; reasons: string[] } | { ok: false; reasons: string[] };

/** Why a replica cannot take over from a live primary (empty = it can). */
export function unfitWhilePrimaryAlive(r: ReplicaObservation, maxLagSeconds: number): string[] {
  const why: string[] = [];
  // A broken subscription (an apply error, retried forever) shows as a stopped worker or a lag that
  // cannot be measured; its error count says why. PostgreSQL also counts a lost connection to the
  // publisher as an apply error, so the count alone does not make a replica unfit.
  const errors = r.applyErrors > 0 ? `, ${r.applyErrors} apply errors so far: see its server log` : "";
  if (r.state !== "streaming" && r.state !== "catchup") why.push(`${r.host} is ${r.state}${r.error ? ` (${r.error})` : ""}${errors}`);
  else if (r.lagSeconds === undefined) why.push(`${r.host}'s lag cannot be measured (nothing confirmed${errors})`);
  else if (r.lagSeconds > maxLagSeconds) why.push(`${r.host} is ${r.lagSeconds.toFixed(1)} s behind, over the ${maxLagSeconds} s bound (replication.maxLagSeconds)`);
  return why;
}

/**
 * Why a replica cannot take over from a dead primary: it must answer and have applied something. Its
 * apply errors are not held against it: losing the publisher is one; a replica broken before the
 * primary died is behind and so not the most advanced.
 */
export function unfitWhilePrimaryDead(r: ReplicaObservation): string[] {
  const why: string[] = [];
  if (r.state === "unreachable" || r.state === "missing" || r.state === "disabled") why.push(`${r.host} is ${r.state}${r.error ? ` (${r.error})` : ""}`);
  if (r.state === "initializing") why.push(`${r.host} has not finished its initial copy`);
  if (r.appliedLsn === undefined && why.length === 0) why.push(`${r.host} has applied nothing yet`);
  return why;
}

/**
 * Primary alive: the requested (or the least-lagging) fit replica. Primary dead: the most advanced
 * replica; in sync mode every replica must be in sight, since the one out of sight may be the only
 * holder of the last acknowledged commits (ANY 1 quorum).
 */
export function choosePromotion(o: Observation, policy: PromotionPolicy, requested?: string): Choice {
  if (requested && !o.replicas.some((r) => r.host === requested)) {
    return { ok: false, reasons: [`${requested} has no replica of this service (replicas: ${o.replicas.map((r) => r.host).join(", ") || "none"})`] };
  }
  if (o.replicas.length === 0) return { ok: false, reasons: ["the service has no shadow store to promote"] };
  if (o.primary.reachable) {
    const unfit = new Map(o.replicas.map((r) => [r.host, unfitWhilePrimaryAlive(r, policy.maxLagSeconds)]));
    const fit = o.replicas.filter((r) => unfit.get(r.host)?.length === 0);
    if (requested) {
      const why = unfit.get(requested) ?? [];
      return why.length > 0 ? { ok: false, reasons: why } : { ok: true, target: requested, primaryAlive: true, reasons: [`${requested} requested`] };
    }
    if (fit.length === 0) return { ok: false, reasons: [...unfit.values()].flat() };
    const best = [...fit].sort((a, b) => (a.lagBytes ?? Infinity) - (b.lagBytes ?? Infinity))[0];
    return { ok: true, target: best.host, primaryAlive: true, reasons: [`${best.host} is the least behind (${best.lagBytes ?? 0} bytes)`] };
  }
  const unfit = new Map(o.replicas.map((r) => [r.host, unfitWhilePrimaryDead(r)]));
  const fit = o.replicas.filter((r) => unfit.get(r.host)?.length === 0);
  const blind = o.replicas.filter((r) => r.state === "unreachable");
  if (policy.mode === "sync" && blind.length > 0 && !policy.acceptDataLoss) {
    return {
      ok: false,
      reasons: [`sync mode, primary dead: ${blind.map((r) => r.host).join(", ")} cannot be compared and may hold acknowledged writes the others lack; bring it back, or accept data loss`],
    };
  }
  if (fit.length === 0) return { ok: false, reasons: [`the primary ${o.primary.host} is unreachable`, ...[...unfit.values()].flat()] };
  const best = [...fit].sort((a, b) => Number((b.appliedLsn ?? 0n) - (a.appliedLsn ?? 0n)))[0];
  if (requested && requested !== best.host) {
    const why = unfit.get(requested) ?? [];
    const behind = (best.appliedLsn ?? 0n) - (o.replicas.find((r) => r.host === requested)?.appliedLsn ?? 0n);
    if (why.length > 0) return { ok: false, reasons: why };
    if (behind > 0n && !policy.acceptDataLoss) {
      return { ok: false, reasons: [`${requested} is ${behind} bytes behind ${best.host}: promoting it would lose writes ${best.host} has`] };
    }
    return { ok: true, target: requested, primaryAlive: false, reasons: [`${requested} requested`] };
  }
  return { ok: true, target: best.host, primaryAlive: false, reasons: [`primary ${o.primary.host} unreachable; ${best.host} is the most advanced`] };
}
