// decide(): one tick of the decision plane, pure. The rules run tier by tier over all services —
// safety, scale-up, rollout, scale-down — so the per-tick budget of changes goes to the most important
// first, and each rule sees the desired state the earlier ones left.
import { buildContext, ServiceContext } from "./context";
import { Plan } from "./plan";
import type { Policy } from "./policy";
import { consolidate, planConsolidation, restore } from "./rules/consolidation";
import { rollout } from "./rules/rollout";
import { mirrorOff, mirrorOn, recommendShadows, shadowsDown, shadowsUp, sizeLive } from "./rules/scaling";
import { switchover } from "./rules/switchover";
import type { CostEstimate, DecideState, Decision, Forecasts, Observations } from "./types";

export function decide(state: DecideState, observations: Observations, forecasts: Forecasts, policy: Policy): Decision {
  const now = observations.now;
  const next = structuredClone(state);
  const plan = new Plan(now, policy.maxChangesPerTick);
  for (const name of Object.keys(observations.services)) {
    if (!next.services[name]) plan.say(name, "hold", "observed but not in the desired state: ignored");
  }
  const services: ServiceContext[] = Object.keys(next.services).map((name) => {
    const ctx = buildContext(name, next, observations.services[name] ?? [], forecasts[name], policy, now);
    if (ctx.a.hold.length > 0) plan.say(name, "hold", `${ctx.a.hold.join("; ")}: no scale-down, no capacity promotion`);
    if (ctx.a.forecastIssue !== null) plan.say(name, "hold", `${ctx.a.forecastIssue}: no forecast-driven change, no scale-down`);
    if (ctx.state.capacityPerInstance === null) plan.say(name, "hold", "per-instance capacity not learned yet (no live instance at ≥ 5 % CPU): no sizing");
    return ctx;
  });

  for (const ctx of services) switchover(ctx, plan);
  for (const ctx of services) {
    sizeLive(ctx, plan);
    ctx.consolidation = planConsolidation(ctx, plan);
    shadowsUp(ctx, plan, recommendShadows(ctx, plan));
    mirrorOn(ctx, plan);
  }
  for (const ctx of services) rollout(ctx, plan);
  for (const ctx of services) {
    consolidate(ctx, plan);
    shadowsDown(ctx, plan);
    mirrorOff(ctx, plan);
    restore(ctx, plan);
  }

  const costEstimate: Record<string, CostEstimate | null> = {};
  for (const ctx of services) costEstimate[ctx.name] = ctx.cost;
  return { state: next, changes: plan.changes, reasons: plan.reasons, costEstimate };
}
