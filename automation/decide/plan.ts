// One tick's plan: the rules propose changes in priority order; the plan spends the per-tick budget on
// them, applies each accepted change to the desired state at once (so later rules see it) and writes
// down what was deferred.
import type { Change, Rule, ServiceState } from "./types";

/** The desired state after one change. `now` stamps scale-ups and scale-downs for the stabilisation window. */
export function applyToState(s: ServiceState, c: Change, now: number): void {
  switch (c.kind) {
    case "promote":
      s.replicas += 1;
      s.shadows -= 1;
      s.lastScaleUpAt = now;
      break;
    case "drain":
      s.replicas -= 1;
      s.drained.push({ host: c.host, instance: c.instance, at: now, reason: c.reason, healthySince: null });
      break;
    case "demote":
      s.replicas -= 1;
      s.shadows += 1;
      s.lastScaleDownAt = now;
      // The demoted instance joins the shadow pool warm and stays in it for a stabilisation window, as
      // the old live instances do after a rollout: the pool's scale-down cannot undo it on the same tick.
      s.lastScaleUpAt = now;
      break;
    case "restore":
      s.drained = s.drained.filter((d) => d.host !== c.host);
      break;
    case "setReplicas":
    case "setShadows":
      if (c.kind === "setReplicas") s.replicas = c.to;
      else s.shadows = c.to;
      if (c.to > c.from) s.lastScaleUpAt = now;
      else s.lastScaleDownAt = now;
      break;
    case "setMirror":
      s.mirrorPercent = c.to;
      break;
    case "setWeights":
      s.weightPercent = c.to;
      break;
    case "completeRollout":
      [s.replicas, s.shadows] = [s.shadows, s.replicas];
      s.weightPercent = 0;
      s.lastScaleUpAt = now; // the old live instances stay as shadows for a stabilisation window
      break;
  }
}

export class Plan {
  readonly changes: Change[] = [];
  readonly reasons: string[] = [];

  constructor(
    readonly now: number,
    private readonly budget: number,
  ) {}

  say(service: string, rule: Rule | "hold" | "cost", text: string): void {
    this.reasons.push(`${service}: ${rule}: ${text}`);
  }

  /**
   * Proposes changes that only make sense together (promote + drain of the failed instance): all are
   * accepted, or all deferred when the tick's budget cannot hold them. Returns whether they were accepted.
   */
  propose(state: ServiceState, ...group: Change[]): boolean {
    if (this.changes.length + group.length > this.budget) {
      for (const c of group) this.say(c.service, c.rule, `deferred by the per-tick limit of ${this.budget} changes (${c.priority}): ${c.kind} — ${c.reason}`);
      return false;
    }
    for (const c of group) {
      applyToState(state, c, this.now);
      this.changes.push(c);
      this.say(c.service, c.rule, c.reason);
    }
    return true;
  }
}
