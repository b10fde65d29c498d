// The simulator's contract: a virtual cluster of identical instances, strategies that see what a real
// controller would see (metrics, the trace's past) and act through the same few actions.
import type { InstanceObservation } from "../decide";
import type { Point } from "../forecast";

/**
 * How a platform turns a running shadow into a live instance, as that platform implements it today.
 * A restart serves nothing until the restart is over and starts cold (caches, JIT and pools lost);
 * a warm flip keeps the running process and its warmth.
 */
export interface PromotionModel {
  /** Seconds from the decision until the promoted instance serves; "coldStart" = the cluster's coldStartSec. */
  readySec: number | "coldStart";
  /** True when the instance keeps the shadow's warmth; false when it starts cold. */
  keepsWarmth: boolean;
  /** A demotion (live → shadow), when the platform does it differently from a promotion. */
  demotion?: { readySec: number | "coldStart"; keepsWarmth: boolean };
  /** What the platform does, for the report. */
  how: string;
}

/**
 * Promotion (and demotion, and a completed rollout's role swap) per platform. Local: the running shadow
 * turns live in place (its role through the service's admin endpoint, HAProxy's runtime API, the store
 * switched to the primary; the `up` updates the process resource in place: local/runtime/promotion.ts,
 * local/impl/process.ts), serving within a second (bench:warm); a demotion still restarts the process,
 * since the replica it must read is created by the same `up`. Kubernetes, docker, aws: the host moves
 * from the shadow pool to the live one, so the live Deployment / container / ASG gets a new pod,
 * container or VM. "warm-flip" is a warm change both ways (a pod relabelled into the live selector and
 * back): what the benchmark shows it would be worth where a platform does not do it.
 */
export const PROMOTION: Record<"local" | "kubernetes" | "docker" | "aws" | "warm-flip", PromotionModel> = {
  local: {
    readySec: 1,
    keepsWarmth: true,
    demotion: { readySec: "coldStart", keepsWarmth: false },
    how: "the running shadow turns live in place (admin endpoint + HAProxy runtime API, serving within 1 s, warm); a demotion restarts the process (cold)",
  },
  kubernetes: { readySec: "coldStart", keepsWarmth: false, how: "the host moves from the shadow Deployment to the live one: a new pod (cold)" },
  docker: { readySec: "coldStart", keepsWarmth: false, how: "the container is recreated with the live role (cold)" },
  aws: { readySec: "coldStart", keepsWarmth: false, how: "the live ASG launches an instance, the shadow ASG stops one (cold)" },
  "warm-flip": { readySec: 0, keepsWarmth: true, how: "role changes in place both ways, promotion and demotion (local promotes so, but restarts a demoted instance)" },
};

export interface SimParams {
  /** Virtual clock step: metrics are measured every tick; each strategy acts on its own period (a multiple of it). */
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
  /** What a promotion costs on the platform simulated. */
  promotion: PromotionModel;
  /** Extra live-path load per unit of mirrored traffic (the load balancer copying requests). */
  mirrorOverhead: number;
  pricePerHour: number;
  degradedCostPerMinute: number;
  downtimeCostPerMinute: number;
  /** Hosts available: no strategy runs more instances than this. */
  maxInstances: number;
}

export const DEFAULT_SIM_PARAMS: SimParams = {
  tickSec: 15,
  capacityPerInstance: 100,
  sloUtilisation: 0.9,
  coldStartSec: 240,
  warmUpSec: 120,
  coldCapacityFraction: 0.5,
  promotion: PROMOTION.local,
  mirrorOverhead: 0.02,
  pricePerHour: 0.1,
  degradedCostPerMinute: 1,
  downtimeCostPerMinute: 10,
  maxInstances: 200,
};

/** How the platform changes an instance's role to `to`: a promotion (to live) or a demotion. */
export function roleChange(p: SimParams, to: SimRole): { readySec: number; keepsWarmth: boolean } {
  const m = to === "live" ? p.promotion : (p.promotion.demotion ?? p.promotion);
  return { readySec: m.readySec === "coldStart" ? p.coldStartSec : m.readySec, keepsWarmth: m.keepsWarmth };
}

/** Seconds a promotion takes before the instance serves in its new role. */
export const promotionReadySec = (p: SimParams): number => roleChange(p, "live").readySec;

export type SimRole = "live" | "shadow";

export interface InstanceView {
  id: string;
  role: SimRole;
  /** False while cold-starting (or restarting after a promotion). */
  ready: boolean;
  /** When it became (or will become) ready. */
  readyAt: number;
  /** 0 = cold, 1 = fully warm. */
  warmth: number;
}

/** What a strategy sees at a tick. */
export interface ClusterView {
  now: number;
  /** Requests/s arriving at the load balancer now. */
  demand: number;
  instances: readonly InstanceView[];
  /**
   * Metrics of the ready instances. `cpu` is the offered utilisation (requests arriving / what the
   * instance serves at 100 %), not capped at 1: every strategy reads this same signal, which the load
   * balancer's per-server request counts give (a CPU gauge would saturate at 100 % and hide how far
   * demand is above capacity).
   */
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
  /** Role changes the platform carried out as a restart from cold. */
  restarts: number;
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
