// Gradual rollout: a requested canary moves the shadows' share of traffic up the policy's steps, one
// step per interval of passing analysis (shadows vs live: error rate, p99, health, replication lag).
// A failed analysis rolls back to 0 % and says why; missing metrics pause it; at 100 % the roles swap.
import { isFresh } from "../assess";
import { ServiceContext, fmt, pct } from "../context";
import type { Plan } from "../plan";
import type { Change, InstanceObservation } from "../types";

export type Analysis = { verdict: "pass"; detail: string } | { verdict: "fail" | "missing"; detail: string };

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

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
  const live = a.live.filter(measured);
  const shadows = a.shadows.filter(measured);
  if (live.length === 0 || shadows.length === 0) return { verdict: "missing", detail: `no error rate and p99 from ${live.length === 0 ? "live" : "shadow"} instances serving traffic` };
  const errorDelta = mean(shadows.map((o) => o.errorRate as number)) - mean(live.map((o) => o.errorRate as number));
  const liveP99 = mean(live.map((o) => o.p99Ms as number));
  const ratio = liveP99 > 0 ? Math.max(...shadows.map((o) => o.p99Ms as number)) / liveP99 : 1;
  const detail = `error rate +${pct(Math.max(0, errorDelta))} (max +${pct(policy.canary.maxErrorRateDelta)}), p99 ×${fmt(ratio)} (max ×${policy.canary.maxP99Ratio})`;
  const ok = errorDelta <= policy.canary.maxErrorRateDelta && ratio <= policy.canary.maxP99Ratio;
  return { verdict: ok ? "pass" : "fail", detail };
}

function weights(ctx: ServiceContext, to: number, reason: string): Change {
  return { kind: "setWeights", service: ctx.name, rule: "rollout", priority: "rollout", from: ctx.state.weightPercent, to, reason };
}

export function rollout(ctx: ServiceContext, plan: Plan): void {
  const { state: s, policy, now } = ctx;
  const c = s.canary;
  if (c.status !== "running" && c.status !== "paused") return;
  const steps = policy.canary.steps;
  const result = ctx.a.hold.length > 0 ? ({ verdict: "missing", detail: ctx.a.hold.join("; ") } as const) : analyse(ctx, c.step >= 0);
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
  if (c.step >= 0 && c.stepStartedAt !== null && now - c.stepStartedAt < policy.canary.stepIntervalSec * 1000) return;
  if (c.step < steps.length - 1) {
    const to = steps[c.step + 1];
    if (plan.propose(s, weights(ctx, to, `${result.detail}: shift ${to} % of traffic to the shadows`))) Object.assign(c, { step: c.step + 1, stepStartedAt: now, reason: null });
    return;
  }
  const done = `${result.detail} at 100 % for ${policy.canary.stepIntervalSec} s: shadows become live, live become shadows`;
  if (plan.propose(s, { kind: "completeRollout", service: ctx.name, rule: "rollout", priority: "rollout", reason: done })) Object.assign(c, { status: "done", reason: done });
}
