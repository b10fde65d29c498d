// The replay loop: a virtual clock over the replayed part of a trace. Each tick the strategy learns
// the trace points that have become the past, the cluster is measured under the demand of the moment
// (that utilisation holds until the next tick), then the strategy acts; its actions count from the
// next tick, as a real controller's would.
import { Cluster } from "./cluster";
import { Demand, Trace } from "./trace";
import type { SimParams, SimResult, Strategy, Timeline } from "./types";

/** Live instances every strategy starts with: enough for the first quarter-hour at the SLO utilisation. */
export function initialLive(trace: Trace, p: SimParams): number {
  const t0 = trace.points[trace.start].t;
  const demand = new Demand(trace.points);
  let peak = 0;
  for (let s = 0; s <= 900; s += p.tickSec) peak = Math.max(peak, demand.at(t0 + s * 1000));
  return Math.max(1, Math.ceil(peak / (p.capacityPerInstance * p.sloUtilisation)));
}

export function simulate(series: string, trace: Trace, strategy: Strategy, p: SimParams): { result: SimResult; timeline: Timeline } {
  const { points, start } = trace;
  const t0 = points[start].t;
  const end = points[points.length - 1].t;
  const demand = new Demand(points);
  const cluster = new Cluster(p, t0, initialLive(trace, p));
  const timeline: Timeline = { t: [], demand: [], capacity: [], instances: [] };
  const minutes = p.tickSec / 60;
  let next = start;
  let degraded = 0;
  let down = 0;
  let instanceMinutes = 0;
  for (let now = t0; now <= end; now += p.tickSec * 1000) {
    while (next < points.length && points[next].t <= now) strategy.observe(points[next++]);
    const d = demand.at(now);
    const { load, view } = cluster.measure(now, d);
    if (load.utilisation > 1) down += minutes;
    else if (load.utilisation > p.sloUtilisation) degraded += minutes;
    instanceMinutes += load.instances * minutes;
    timeline.t.push(now);
    timeline.demand.push(d);
    timeline.capacity.push(load.liveCapacity);
    timeline.instances.push(load.instances);
    cluster.apply(strategy.tick(view), now);
    cluster.warm(now, p.tickSec);
  }
  const cost = (instanceMinutes / 60) * p.pricePerHour;
  return {
    result: {
      series,
      strategy: strategy.name,
      violationMinutes: degraded + down,
      downMinutes: down,
      instanceMinutes,
      cost,
      costWithDowntime: cost + degraded * p.degradedCostPerMinute + down * p.downtimeCostPerMinute,
      scaleActions: cluster.scaleActions,
      coldStarts: cluster.coldStarts,
      restarts: cluster.restarts,
    },
    timeline,
  };
}
