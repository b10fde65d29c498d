// The simulator's contract: a virtual cluster of identical instances, strategies that see what a real
// controller would see (metrics, the trace's past) and act through the same few actions.
import type { InstanceObservation } from "../decide";
import type { Point } from "../forecast";

export interface SimParams {
  /** Virtual clock step: metrics are read and strategies act once per tick. */
  tickSec: number;
  /** Requests/s one fully warm instance serves at 100 % CPU. */
  capacityPerInstance: number;
  /**
   * Utilisation above which p99 latency breaks the SLO (degraded). With M/M/1 per instance,
   * p99 = ln(100) / (μ (1 − ρ)), so an SLO of 46 service times is ρ ≤ 0.9.
   */
  sloUtilisation: number;
  /** Launch to ready (serving). */
  coldStartSec: number;
  /** Ready to full capacity while serving or mirrored; a cold instance serves coldCapacityFraction of it. */
  warmUpSec: number;
  coldCapacityFraction: number;
  /** Extra live-path load per unit of mirrored traffic (the load balancer copying requests). */
  mirrorOverhead: number;
  pricePerHour: number;
  degradedCostPerMinute: number;
  downtimeCostPerMinute: number;
  /** Hosts available: no strategy runs more instances than this. */
  maxInstances: number;
}

export const DEFAULT_SIM_PARAMS: SimParams = {
  tickSec: 60,
  capacityPerInstance: 100,
  sloUtilisation: 0.9,
  coldStartSec: 240,
  warmUpSec: 120,
  coldCapacityFraction: 0.5,
  mirrorOverhead: 0.02,
  pricePerHour: 0.1,
  degradedCostPerMinute: 1,
  downtimeCostPerMinute: 10,
  maxInstances: 200,
};

export type SimRole = "live" | "shadow";

export interface InstanceView {
  id: string;
  role: SimRole;
  /** False while cold-starting. */
  ready: boolean;
  /** 0 = cold, 1 = fully warm. */
  warmth: number;
}

/** What a strategy sees at a tick. */
export interface ClusterView {
  now: number;
  /** Requests/s arriving at the load balancer now. */
  demand: number;
  instances: readonly InstanceView[];
  /** Metrics of the ready instances, as the runner would read them from Prometheus. */
  observations: InstanceObservation[];
  mirrorPercent: number;
  weightPercent: number;
}

export type SimAction =
  | { kind: "setLive" | "setShadows"; count: number }
  | { kind: "promote" | "demote" | "remove"; id: string }
  | { kind: "setMirror" | "setWeights"; percent: number }
  | { kind: "swapRoles" };

export interface Strategy {
  readonly name: string;
  /** A trace point has become the past: what the load balancer counted. */
  observe(point: Point): void;
  tick(view: ClusterView): SimAction[];
}

/** One row of the benchmark: a strategy on a series. */
export interface SimResult {
  series: string;
  strategy: string;
  /** Minutes above the SLO utilisation (degraded) or above full capacity (down). */
  violationMinutes: number;
  downMinutes: number;
  instanceMinutes: number;
  /** Instances only. */
  cost: number;
  /** Instances plus degraded and down minutes at their cost. */
  costWithDowntime: number;
  /** Actions that changed something. */
  scaleActions: number;
  coldStarts: number;
}

/** Per tick, for plots. */
export interface Timeline {
  t: number[];
  demand: number[];
  /** Requests/s the live instances can serve at 100 % CPU. */
  capacity: number[];
  /** Live and shadow instances, booting included. */
  instances: number[];
}
