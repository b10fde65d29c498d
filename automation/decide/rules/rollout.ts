// Gradual rollout: a requested canary moves the shadows' share of traffic up the policy's steps, one
// step per interval of passing analysis. Health, freshness and replication lag are checked here; the
// shadows-vs-live comparison (error rate, p99, enough requests) is the CLI canary's judge, fed with the
// observations aggregated per role. A failed analysis rolls back to 0 % and says why; missing metrics
// or too little evidence pause it; at 100 % the roles swap.
import { judge, RoleStats } from "../../canary/rollout";
import { isFresh } from "../assess";
import { ServiceContext } from "../context";
import type { Plan } from "../plan";
import { RATE_WINDOW_SEC, type Change, type InstanceObservation } from "../types";

export type Analysis = { verdict: "pass" | "fail" | "missing"; detail: string; liveBaseline?: RoleStats };

// The window behind an observed rate (RATE_WINDOW_SEC, what the runner's queries use): requestRate ×
// the window is the number of requests an instance's error rate and p99 rest on. The simulator's
// rates are instantaneous; the same window stands in for them.

/**
 * One role's instances as the judge's stats. Requests: Σ rate × the window. Error rate: request-weighted
 * (mirrored copies are left out, as from the request rate). p99: the shadows' worst instance, so one bad shadow cannot hide behind healthy ones; live's
 * request-weighted mean, the latency a typical live request sees — lower than live's worst, so the
 * yardstick errs towards failing the shadows, not towards promoting them.
 */
function roleStats(xs: InstanceObservation[], p99: "worst" | "weighted"): RoleStats | undefined {
  if (xs.length === 0) return undefined;
  const rate = xs.reduce((sum, o) => sum + (o.requestRate as number), 0);
  const weighted = (f: (o: InstanceObservation) => number): number => xs.reduce((sum, o) => sum + f(o) * (o.requestRate as number), 0) / rate;
  return {
    requests: rate * RATE_WINDOW_SEC,
    errorRate: weighted((o) => o.errorRate as number),
    p99Ms: p99 === "worst" ? Math.max(...xs.map((o) => o.p99Ms as number)) : weighted((o) => o.p99Ms as number),
  };
}

/** Shadows against live. Before any traffic moves (step -1) only health and lag are checked. */
export function analyse(ctx: ServiceContext, trafficMoved: boolean): Analysis {
  const { a, state: s, policy, now } = ctx;
  const fresh = (o: InstanceObservation): boolean => isFresh(o, now, policy);
  if (a.shadows.length === 0) return { verdict: "missing", detail: "no shadow is observed" };
  const stale = a.shadows.filter((o) => !fresh(o) || o.up === undefined);
  if (stale.length > 0) return { verdict: "missing", detail: `no fresh metrics from ${stale.map((o) => o.instance).join(", ")}` };
  const down = a.shadows.filter((o) => o.up === false);
  if (down.length > 0) return { verdict: "fail", detail: `${down.map((o) => o.instance).join(", ")} down` };
  if (s.maxLagSec !== null) {
    const lagging = a.shadows.filter((o) => o.replicationLagSec === undefined || o.replicationLagSec > (s.maxLagSec as number));
    if (lagging.length > 0) return { verdict: "missing", detail: `replication lag unknown or above ${s.maxLagSec} s on ${lagging.map((o) => o.instance).join(", ")}` };
  }
  if (!trafficMoved) return { verdict: "pass", detail: "shadows healthy and in sync" };
  const measured = (o: InstanceObservation): boolean => fresh(o) && o.up === true && o.errorRate !== undefined && o.p99Ms !== undefined && (o.requestRate ?? 0) > 0;
  const current = roleStats(a.live.filter(measured), "weighted");
  const live = current && current.requests >= policy.canary.minRequests ? current : (s.canary.baseline ?? current);
  const v = judge({ live, shadow: roleStats(a.shadows.filter(measured), "worst") }, policy.canary);
  return { verdict: v.verdict === "inconclusive" ? "missing" : v.verdict, detail: v.reason, liveBaseline: live };
}

function weights(ctx: ServiceContext, to: number, reason: string): Change {
  return { kind: "setWeights", service: ctx.name, rule: "rollout", priority: "rollout", from: ctx.state.weightPercent, to, reason };
}

export function rollout(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, now } = ctx;
  const c = s.canary;
  if (c.status !== "running" && c.status !== "paused") return;
  const steps = policy.canary.steps;
  const result: Analysis = ctx.a.hold.length > 0 ? { verdict: "missing", detail: ctx.a.hold.join("; ") } : analyse(ctx, c.step >= 0);
  if (result.liveBaseline && result.liveBaseline.requests >= policy.canary.minRequests) c.baseline = result.liveBaseline;
  if (result.verdict === "missing") {
    if (c.status !== "paused") plan.say(ctx.name, "rollout", `paused at ${s.weightPercent} %: ${result.detail}`);
    c.status = "paused";
    c.reason = result.detail;
    return;
  }
  if (result.verdict === "fail") {
    const reason = `analysis failed at ${s.weightPercent} %: ${result.detail}; roll back to 0 %`;
    const rolledBack = { status: "rolledBack", step: -1, stepStartedAt: null, reason };
    if (s.weightPercent === 0) {
      Object.assign(c, rolledBack);
      plan.say(ctx.name, "rollout", reason);
    } else if (plan.propose(s, weights(ctx, 0, reason))) Object.assign(c, rolledBack);
    return;
  }
  if (c.status === "paused") {
    // A fresh interval of passing analysis is needed before the next step.
    Object.assign(c, { status: "running", stepStartedAt: now, reason: null });
    plan.say(ctx.name, "rollout", `resumed at ${s.weightPercent} %: ${result.detail}`);
    if (c.step >= 0) return;
  }
  if (c.step >= 0 && c.stepStartedAt !== null && now - c.stepStartedAt < policy.canary.intervalSec * 1000) return;
  if (c.step < steps.length - 1) {
    const to = steps[c.step + 1];
    if (plan.propose(s, weights(ctx, to, `${result.detail}: shift ${to} % of traffic to the shadows`))) Object.assign(c, { step: c.step + 1, stepStartedAt: now, reason: null });
    return;
  }
  const done = `${result.detail} at 100 % for ${policy.canary.intervalSec} s: shadows become live, live become shadows`;
  if (plan.propose(s, { kind: "completeRollout", service: ctx.name, rule: "rollout", priority: "rollout", reason: done })) Object.assign(c, { status: "done", reason: done });
}
