// Predictive scaling and the mirroring trigger. Live instances follow the load now (a warm shadow is
// promoted at once; a cold instance only when none is left); the shadow pool is sized for the
// forecast's horizon by the cost model, at least one while P(rise) holds. Capacity is added at once and
// removed only after the stabilisation window, and only when the upper quantile still fits.
import { estimateCost } from "../cost";
import { ServiceContext, fmt, forecastRef, pct } from "../context";
import { stepsWithin } from "../forecastSummary";
import type { Plan } from "../plan";
import type { Change } from "../types";

/** Live instances the current load needs at the target utilisation. */
export function liveNeeded(ctx: ServiceContext, capacity: number): number {
  const perInstance = capacity * ctx.policy.targetUtilisation;
  return Math.min(ctx.policy.maxReplicas, Math.max(1, Math.ceil(ctx.load / perInstance)));
}

/** Scale-up of live instances: promote warm shadows, then add cold ones for the rest. */
export function sizeLive(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy } = ctx;
  const capacity = s.capacityPerInstance;
  if (capacity === null || ctx.a.hold.length > 0) return;
  const need = liveNeeded(ctx, capacity);
  if (need <= s.replicas) return;
  const why = `load ${fmt(ctx.load)} req/s needs ${need} live instances at ${pct(policy.targetUtilisation)} CPU (${fmt(capacity * policy.targetUtilisation)} req/s each), ${s.replicas} live`;
  while (s.replicas < need && ctx.candidates.length > 0) {
    const shadow = ctx.candidates[0];
    const change: Change = { kind: "promote", service: ctx.name, rule: "scaling", priority: "scale-up", instance: shadow.instance, host: shadow.host, replaces: null, reason: `${why}: promote ${shadow.instance}` };
    if (!plan.propose(s, change)) return;
    ctx.candidates.shift();
  }
  const room = Math.min(ctx.hostsAvailable - s.replicas - s.shadows, policy.maxReplicas - s.replicas);
  const add = Math.min(need - s.replicas, room);
  if (add < need - s.replicas) plan.say(ctx.name, "scaling", `${why}; no host or replica left to add ${need - s.replicas - Math.max(0, add)} of them`);
  if (add > 0) {
    const none = ctx.refused.length > 0 ? `no shadow can be promoted (${ctx.refused.join("; ")})` : "no warm shadow left";
    const avoid = s.drained.map((d) => d.host);
    plan.propose(s, { kind: "setReplicas", service: ctx.name, rule: "scaling", priority: "scale-up", from: s.replicas, to: s.replicas + add, avoid, reason: `${why}; ${none}: add ${add} (cold start)` });
  }
}

/** The cost model's shadow count for the horizon (at least one while the trigger holds); records the estimate. */
export function recommendShadows(ctx: ServiceContext, plan: Plan): number | null {
  const { state: s, policy, a } = ctx;
  if (a.forecast === null || s.capacityPerInstance === null) return null;
  const live = s.replicas - ctx.consolidation.length;
  const maxK = Math.max(0, Math.min(policy.maxShadows, ctx.hostsAvailable - live));
  const minK = Math.min(policy.minShadows, maxK);
  ctx.cost = estimateCost(
    {
      live,
      capacityPerInstance: s.capacityPerInstance,
      cpuThreshold: policy.cpuThreshold,
      steps: stepsWithin(a.forecast.steps, ctx.now, policy.horizonSec),
      horizonSec: policy.horizonSec,
      pricePerHour: ctx.pricePerHour,
      degradedCostPerMinute: policy.cost.degradedCostPerMinute,
      downtimeCostPerMinute: policy.cost.downtimeCostPerMinute,
    },
    minK,
    maxK,
  );
  let k = ctx.cost.chosen.shadows;
  if (ctx.trigger && k < 1 && maxK >= 1) {
    k = 1;
    plan.say(ctx.name, "mirroring", `${forecastRef(a.forecast, policy)} ≥ ${policy.confidence}: keep at least one shadow`);
  }
  s.recommendations.push({ t: ctx.now, shadows: k });
  return k;
}

function costWhy(ctx: ServiceContext, k: number): string {
  const est = ctx.cost;
  if (est === null) return "";
  const c = est.candidates.find((x) => x.shadows === k) ?? est.chosen;
  return `${k} shadows for ${est.live} live: expected $${c.instanceCost.toFixed(3)} instances + $${c.penalty.toFixed(3)} shortfall (P ${c.pShortfall.toFixed(3)}) over ${est.horizonSec} s; cheapest is ${est.chosen.shadows} at $${est.chosen.total.toFixed(3)}`;
}

/** Grows the shadow pool to k; live instances consolidation demotes this tick join it warm and count towards k. */
export function shadowsUp(ctx: ServiceContext, plan: Plan, k: number | null): void {
  const s = ctx.state;
  const joining = ctx.consolidation.length;
  if (k === null || k <= s.shadows + joining) return;
  const avoid = s.drained.map((d) => d.host);
  const to = k - joining;
  const from = joining > 0 ? `; ${joining} of them from live instances taken out of rotation, ${to - s.shadows} new` : "";
  plan.propose(s, { kind: "setShadows", service: ctx.name, rule: "scaling", priority: "scale-up", from: s.shadows, to, avoid, reason: `${costWhy(ctx, k)}${from}` });
}

export function mirrorOn(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, a } = ctx;
  // Shadows that consolidation demotes later this tick count: they are warm and will receive the copies.
  if (!ctx.trigger || a.forecast === null || s.shadows + ctx.consolidation.length === 0 || s.mirrorPercent >= policy.mirrorPercent) return;
  plan.propose(s, {
    kind: "setMirror",
    service: ctx.name,
    rule: "mirroring",
    priority: "scale-up",
    from: s.mirrorPercent,
    to: policy.mirrorPercent,
    reason: `${forecastRef(a.forecast, policy)} ≥ ${policy.confidence}: mirror ${policy.mirrorPercent} % of requests to warm the shadows`,
  });
}

const since = (t: number | null, now: number, sec: number): boolean => t === null || now - t >= sec * 1000;

/** Scale-down of the shadow pool: to the highest recommendation of the window, if the upper quantile fits. */
export function shadowsDown(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, a } = ctx;
  const capacity = s.capacityPerInstance;
  if (s.recommendations.length === 0 || a.forecast === null || capacity === null) return;
  const target = Math.max(...s.recommendations.map((r) => r.shadows));
  if (target >= s.shadows) return;
  if (a.hold.length > 0) {
    plan.say(ctx.name, "hold", `would remove shadows (${s.shadows} → ${target}) but ${a.hold.join("; ")}: no scale-down`);
    return;
  }
  if (!since(s.lastScaleUpAt, ctx.now, policy.stabilisationSec)) return;
  const live = s.replicas - ctx.consolidation.length;
  const atThreshold = capacity * policy.cpuThreshold;
  let k = target;
  while (k < s.shadows && a.forecast.upper > (live + k) * atThreshold) k++;
  if (k >= s.shadows) return;
  const avoid = s.drained.map((d) => d.host);
  const fits = `q${policy.upperQuantile} ${fmt(a.forecast.upper)} req/s fits on ${live} live + ${k} shadows at ${pct(policy.cpuThreshold)} CPU`;
  plan.propose(s, {
    kind: "setShadows",
    service: ctx.name,
    rule: "scaling",
    priority: "scale-down",
    from: s.shadows,
    to: k,
    avoid,
    reason: `no recommendation above ${target} for ${policy.stabilisationSec} s and ${fits}; ${costWhy(ctx, k)}`,
  });
}

export function mirrorOff(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, a } = ctx;
  const idle = policy.idleMirrorPercent;
  if (ctx.trigger || s.mirrorPercent <= idle || a.forecast === null || a.hold.length > 0) return;
  if (s.canary.status === "running" || s.canary.status === "paused") return; // the rollout's analysis reads the shadows' mirrored traffic
  if (!since(s.lastTriggerAt, ctx.now, policy.stabilisationSec)) return;
  plan.propose(s, {
    kind: "setMirror",
    service: ctx.name,
    rule: "mirroring",
    priority: "scale-down",
    from: s.mirrorPercent,
    to: idle,
    reason: `${forecastRef(a.forecast, policy)} < ${policy.confidence} for ${policy.stabilisationSec} s: mirror back to ${idle} %`,
  });
}
