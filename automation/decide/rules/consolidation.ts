// Consolidation (scale-down of live instances) and the return of drained hosts. Removal is the
// cautious direction: a whole window of low utilisation, the expected load (median forecast) fitting
// on fewer live instances at the target utilisation, the forecast upper bound fitting on those plus
// the shadows already warm, and no predicted peak. A surplus live instance is demoted to a warm
// shadow rather than stopped: it joins the pool as a scale-up of the pool does (the shadows rule counts
// it, and the pool's scale-down waits a stabilisation window from its demotion), so the tick's plan
// never demotes an instance and removes it, or the shadows already warm, in one breath. After that
// window the pool's own scale-down removes it once the cost model no longer wants it; until then it
// comes back in one tick.
import { ServiceContext, fmt, pct } from "../context";
import type { Plan } from "../plan";
import type { InstanceObservation } from "../types";

/** The live instances to demote this tick, decided before the shadow pool is sized. Says why it holds back. */
export function planConsolidation(ctx: ServiceContext, plan: Plan): InstanceObservation[] {
  const { state: s, policy, a, now } = ctx;
  const capacity = s.capacityPerInstance;
  if (s.lowSince === null || now - s.lowSince < policy.consolidation.windowSec * 1000 || capacity === null || s.replicas <= 1) return [];
  const low = `mean live CPU below ${pct(policy.consolidation.floor)} for ${Math.round((now - s.lowSince) / 1000)} s`;
  if (a.forecast === null) {
    plan.say(ctx.name, "hold", `${low}, but ${a.forecastIssue ?? "no forecast"}: no consolidation`);
    return [];
  }
  if (a.forecast.peak !== null) {
    const inSec = Math.round((a.forecast.peak.at - now) / 1000);
    plan.say(ctx.name, "consolidation", `${low}, but a peak of ${fmt(a.forecast.peak.load)} req/s is predicted in ${inSec} s: keep ${s.replicas} live`);
    return [];
  }
  const keep = Math.max(1, Math.ceil(a.forecast.expected / (capacity * policy.targetUtilisation)));
  if (keep >= s.replicas) return [];
  if (a.forecast.upper > (keep + s.shadows) * capacity * policy.cpuThreshold) {
    plan.say(ctx.name, "consolidation", `${low}, but q${policy.upperQuantile} ${fmt(a.forecast.upper)} req/s does not fit on ${keep} live + ${s.shadows} shadows at ${pct(policy.cpuThreshold)} CPU: keep ${s.replicas} live`);
    return [];
  }
  const healthy = a.live.filter((o) => o.up === true && o.cpu !== undefined && !a.unknown.includes(o));
  // The least loaded go first; among equals the last placed, so placement stays stable.
  healthy.sort((x, y) => (x.cpu as number) - (y.cpu as number) || y.host.localeCompare(x.host));
  return healthy.slice(0, s.replicas - keep);
}

export function consolidate(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, a } = ctx;
  if (ctx.consolidation.length === 0 || a.forecast === null) return;
  const keep = s.replicas - ctx.consolidation.length;
  const capacity = s.capacityPerInstance as number;
  const why =
    `mean live CPU below ${pct(policy.consolidation.floor)} for ${policy.consolidation.windowSec} s, expected ${fmt(a.forecast.expected)} req/s fits on ${keep} live at ${pct(policy.targetUtilisation)} CPU ` +
    `(${fmt(capacity * policy.targetUtilisation)} req/s each), q${policy.upperQuantile} ${fmt(a.forecast.upper)} req/s on them plus ${s.shadows} shadows, no peak predicted`;
  for (const o of ctx.consolidation) {
    const reason = `${why}: take ${o.instance} out of rotation; it stays a warm shadow for at least ${policy.stabilisationSec} s, then while the shadow pool wants it`;
    if (!plan.propose(s, { kind: "demote", service: ctx.name, rule: "consolidation", priority: "scale-down", instance: o.instance, host: o.host, reason })) break;
  }
  // Accepted demotions are in the state now; deferred ones are no longer planned.
  ctx.consolidation = [];
  // Another window of low utilisation must pass before the next removal.
  if (s.lastScaleDownAt === ctx.now) s.lowSince = ctx.now;
}

export function restore(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, now } = ctx;
  for (const d of [...s.drained]) {
    const healthyFor = d.healthySince === null ? null : now - d.healthySince;
    const recovered = healthyFor !== null && healthyFor >= policy.stabilisationSec * 1000;
    const quarantined = now - d.at >= policy.quarantineSec * 1000;
    if (!recovered && !quarantined) continue;
    const reason = recovered
      ? `${d.instance} has been healthy for ${Math.round(healthyFor / 1000)} s: its host may be used again`
      : `${d.host} has been avoided for ${policy.quarantineSec} s since ${d.instance} failed: it may be used again`;
    plan.propose(s, { kind: "restore", service: ctx.name, rule: "restore", priority: "scale-down", instance: d.instance, host: d.host, reason });
  }
}
