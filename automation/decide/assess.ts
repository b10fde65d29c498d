// Reading one service's observations: which instances are fresh, down, hot or unknown; what one
// instance can serve; which shadows could be promoted and why the others cannot.
import type { Policy } from "./policy";
import type { InstanceObservation, ServiceForecast, ServiceState } from "./types";

/** Below this CPU the rate/CPU ratio is mostly noise, so it does not teach the capacity. */
const MIN_LEARNING_CPU = 0.05;
/** Weight of a new capacity sample: a few ticks to follow a real change, not one noisy scrape. */
const CAPACITY_SMOOTHING = 0.3;

export interface Assessment {
  live: InstanceObservation[];
  shadows: InstanceObservation[];
  /** Live instances whose fresh `up` says down. */
  down: InstanceObservation[];
  /** Live instances that are not known to be down but lack fresh rate, CPU or health. */
  unknown: InstanceObservation[];
  /** Fresh, up live instances above the CPU threshold. */
  hot: InstanceObservation[];
  /** Mean CPU of the fresh, up live instances; null when there are none. */
  meanCpu: number | null;
  /** Requests/s per instance at 100 % CPU seen this tick (Σ rate / Σ CPU); null when nothing to learn from. */
  capacitySample: number | null;
  /** The forecast, when present and fresh. */
  forecast: ServiceForecast | null;
  /** Why there is no usable forecast (nothing forecast-driven happens, nothing scales down), or null. */
  forecastIssue: string | null;
  /** Why this service holds on its metrics (no scale-down, no capacity promotion); empty when it does not. */
  hold: string[];
}

export function isFresh(o: InstanceObservation, now: number, policy: Policy): boolean {
  return now - o.at <= policy.staleAfterSec * 1000;
}

const complete = (o: InstanceObservation): boolean => o.requestRate !== undefined && o.cpu !== undefined && o.up !== undefined;

export function assess(observed: InstanceObservation[], forecast: ServiceForecast | undefined, now: number, policy: Policy): Assessment {
  const fresh = (o: InstanceObservation): boolean => isFresh(o, now, policy);
  const live = observed.filter((o) => o.role === "live");
  const down = live.filter((o) => fresh(o) && o.up === false);
  const unknown = live.filter((o) => !down.includes(o) && !(fresh(o) && complete(o)));
  const healthy = live.filter((o) => fresh(o) && complete(o) && o.up === true);
  const hot = healthy.filter((o) => (o.cpu as number) > policy.cpuThreshold);
  const cpuSum = healthy.reduce((s, o) => s + (o.cpu as number), 0);
  const learnable = healthy.filter((o) => (o.cpu as number) >= MIN_LEARNING_CPU);
  const learnCpu = learnable.reduce((s, o) => s + (o.cpu as number), 0);
  const learnRate = learnable.reduce((s, o) => s + (o.requestRate as number), 0);

  const hold: string[] = [];
  if (live.length === 0) hold.push("no live instance is observed");
  if (unknown.length > 0) {
    const ages = unknown.map((o) => `${o.instance} (${fresh(o) ? "missing metrics" : `last seen ${Math.round((now - o.at) / 1000)} s ago`})`);
    hold.push(`stale or missing metrics from ${ages.join(", ")}`);
  }
  let forecastIssue: string | null = null;
  if (!forecast) forecastIssue = "no forecast";
  else if (now - forecast.at > policy.staleAfterSec * 1000) {
    forecastIssue = `forecast is ${Math.round((now - forecast.at) / 1000)} s old (stale after ${policy.staleAfterSec} s)`;
  }
  return {
    live,
    shadows: observed.filter((o) => o.role === "shadow"),
    down,
    unknown,
    hot,
    meanCpu: healthy.length > 0 ? cpuSum / healthy.length : null,
    capacitySample: learnCpu > 0 && learnRate > 0 ? learnRate / learnCpu : null,
    forecast: forecastIssue === null ? (forecast ?? null) : null,
    forecastIssue,
    hold,
  };
}

export function learnCapacity(previous: number | null, sample: number | null): number | null {
  if (sample === null) return previous;
  return previous === null ? sample : previous + CAPACITY_SMOOTHING * (sample - previous);
}

/** Shadows that may be promoted now (healthy, fresh, lag within bound), best first; and why the rest may not. */
export function promotable(shadows: InstanceObservation[], state: ServiceState, now: number, policy: Policy): { ready: InstanceObservation[]; refused: string[] } {
  const ready: InstanceObservation[] = [];
  const refused: string[] = [];
  for (const s of shadows) {
    if (!isFresh(s, now, policy)) refused.push(`${s.instance} has stale metrics`);
    else if (s.up !== true) refused.push(`${s.instance} is ${s.up === false ? "down" : "of unknown health"}`);
    else if (state.maxLagSec !== null && s.replicationLagSec === undefined) refused.push(`${s.instance} reports no replication lag`);
    else if (state.maxLagSec !== null && (s.replicationLagSec as number) > state.maxLagSec) {
      refused.push(`${s.instance} lags ${s.replicationLagSec} s > ${state.maxLagSec} s`);
    } else ready.push(s);
  }
  ready.sort((a, b) => (a.replicationLagSec ?? 0) - (b.replicationLagSec ?? 0) || (a.cpu ?? 0) - (b.cpu ?? 0) || a.instance.localeCompare(b.instance));
  return { ready, refused };
}
