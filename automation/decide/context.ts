// What the rules share about one service during a tick: the working desired state, the assessment of
// its observations, and the memory updated before any rule runs (capacity, low-utilisation clock,
// trigger time, drained hosts' health).
import { Assessment, assess, isFresh, learnCapacity, promotable } from "./assess";
import { instancePrice, Policy } from "./policy";
import type { CostEstimate, DecideState, InstanceObservation, ServiceForecast, ServiceState } from "./types";

export interface ServiceContext {
  name: string;
  /** The working desired state: accepted changes are applied to it as the tick goes. */
  state: ServiceState;
  a: Assessment;
  policy: Policy;
  now: number;
  pricePerHour: number;
  /** Hosts this service may use (the stack's, minus its drained ones). */
  hostsAvailable: number;
  /** Requests/s arriving now: the forecast's current load, or the live instances' sum without one. */
  load: number;
  /** P(rise) reached the confidence this tick. */
  trigger: boolean;
  /** Promotable shadows not yet used this tick, best first. */
  candidates: InstanceObservation[];
  /** Why the other shadows cannot be promoted. */
  refused: string[];
  /** Live instances consolidation will demote this tick (known before the shadows are sized). */
  consolidation: InstanceObservation[];
  cost: CostEstimate | null;
}

export const fmt = (x: number): string => (Math.abs(x) >= 100 ? Math.round(x).toString() : Number(x.toPrecision(3)).toString());
export const pct = (x: number): string => `${Math.round(x * 100)} %`;

export function forecastRef(f: ServiceForecast, policy: Policy): string {
  return `P(rise ≥ ${pct(policy.riseThreshold)} within ${policy.horizonSec} s) = ${f.pRise.toFixed(2)}`;
}

/** Recomputes the memory the rules read; runs every tick whatever the budget. */
function remember(s: ServiceState, a: Assessment, observed: InstanceObservation[], policy: Policy, now: number): void {
  s.capacityPerInstance = learnCapacity(s.capacityPerInstance, a.capacitySample);
  if (a.hold.length > 0 || a.meanCpu === null || a.meanCpu >= policy.consolidation.floor) s.lowSince = null;
  else s.lowSince ??= now;
  if (a.forecast !== null && a.forecast.pRise >= policy.confidence) s.lastTriggerAt = now;
  s.recommendations = s.recommendations.filter((r) => r.t > now - policy.stabilisationSec * 1000);
  for (const d of s.drained) {
    const seen = observed.find((o) => o.host === d.host && isFresh(o, now, policy));
    d.healthySince = seen?.up === true ? (d.healthySince ?? now) : null;
  }
}

export function buildContext(
  name: string,
  state: DecideState,
  observed: InstanceObservation[],
  forecast: ServiceForecast | undefined,
  policy: Policy,
  now: number,
): ServiceContext {
  const s = state.services[name];
  const drainedHosts = new Set(s.drained.map((d) => d.host));
  // An instance drained earlier may still be listed as live until the runner has applied the change.
  const current = observed.filter((o) => !(o.role === "live" && drainedHosts.has(o.host)));
  const a = assess(current, forecast, now, policy);
  remember(s, a, observed, policy, now);
  const { ready, refused } = promotable(a.shadows, s, now, policy);
  const liveRate = a.live.reduce((sum, o) => sum + (isFresh(o, now, policy) ? (o.requestRate ?? 0) : 0), 0);
  return {
    name,
    state: s,
    a,
    policy,
    now,
    pricePerHour: instancePrice(policy, state.platform, name),
    hostsAvailable: state.hosts.filter((h) => !drainedHosts.has(h)).length,
    load: a.forecast?.currentLoad ?? liveRate,
    trigger: a.forecast !== null && a.forecast.pRise >= policy.confidence,
    candidates: ready,
    refused,
    consolidation: [],
    cost: null,
  };
}
