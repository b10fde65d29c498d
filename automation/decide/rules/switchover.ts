// Switchover (safety): a live instance that is down is replaced by a warm shadow at once, or by a new
// live instance when no shadow can be promoted; a live instance over the CPU threshold gets help the
// same way. Only fresh evidence moves traffic.
import { ServiceContext, pct } from "../context";
import type { Plan } from "../plan";
import type { Change, InstanceObservation } from "../types";

function promote(ctx: ServiceContext, shadow: InstanceObservation, replaces: string | null, reason: string): Change {
  return { kind: "promote", service: ctx.name, rule: "switchover", priority: "safety", instance: shadow.instance, host: shadow.host, replaces, reason };
}

function noCandidate(ctx: ServiceContext): string {
  return ctx.refused.length > 0 ? `no shadow can be promoted (${ctx.refused.join("; ")})` : "no shadow is running";
}

function replaceFailed(ctx: ServiceContext, plan: Plan, failed: InstanceObservation): void {
  const s = ctx.state;
  const drain: Change = {
    kind: "drain",
    service: ctx.name,
    rule: "switchover",
    priority: "safety",
    instance: failed.instance,
    host: failed.host,
    reason: `${failed.instance} is down; take it out of rotation`,
  };
  const shadow = ctx.candidates[0];
  if (shadow) {
    const lag = shadow.replicationLagSec === undefined ? "" : ` (replication lag ${shadow.replicationLagSec} s)`;
    if (plan.propose(s, promote(ctx, shadow, failed.instance, `${failed.instance} is down: promote ${shadow.instance}${lag} in its place`), drain)) ctx.candidates.shift();
    return;
  }
  // The failed host is avoided from now on, so it no longer counts as room.
  const room = ctx.hostsAvailable - 1 - (s.replicas - 1) - s.shadows;
  if (room < 1) {
    if (s.replicas > 1) plan.propose(s, { ...drain, reason: `${drain.reason}; ${noCandidate(ctx)} and no free host is left for a replacement` });
    else plan.say(ctx.name, "switchover", `${failed.instance} is down, ${noCandidate(ctx)} and no free host is left; it stays in the config as the only live instance`);
    return;
  }
  const avoid = [...s.drained.map((d) => d.host), failed.host];
  plan.propose(s, drain, {
    kind: "setReplicas",
    service: ctx.name,
    rule: "switchover",
    priority: "safety",
    from: s.replicas - 1,
    to: s.replicas,
    avoid,
    reason: `${failed.instance} is down and ${noCandidate(ctx)}: replace it with a new live instance (cold start)`,
  });
}

export function switchover(ctx: ServiceContext, plan: Plan): void {
  for (const failed of ctx.a.down) replaceFailed(ctx, plan, failed);
  const hot = ctx.a.hot;
  if (hot.length === 0) return;
  const what = `${hot.map((o) => `${o.instance} at ${pct(o.cpu as number)} CPU`).join(", ")} above the ${pct(ctx.policy.cpuThreshold)} threshold`;
  if (ctx.a.hold.length > 0) {
    plan.say(ctx.name, "switchover", `${what}, but holding: ${ctx.a.hold.join("; ")}; no promotion`);
    return;
  }
  const s = ctx.state;
  const shadow = ctx.candidates[0];
  if (shadow) {
    if (plan.propose(s, promote(ctx, shadow, null, `${what}: promote ${shadow.instance}`))) ctx.candidates.shift();
  } else if (s.replicas + s.shadows < ctx.hostsAvailable && s.replicas < ctx.policy.maxReplicas) {
    const avoid = s.drained.map((d) => d.host);
    plan.propose(s, { kind: "setReplicas", service: ctx.name, rule: "switchover", priority: "safety", from: s.replicas, to: s.replicas + 1, avoid, reason: `${what} and ${noCandidate(ctx)}: add a live instance (cold start)` });
  } else {
    plan.say(ctx.name, "switchover", `${what}, ${noCandidate(ctx)} and no host or replica is left to add one`);
  }
}
