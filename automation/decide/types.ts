// The data decide() reads and writes. Everything is plain JSON: the runner persists the state between
// ticks and logs the rest; the simulator builds the same shapes from its virtual cluster.
import type { PlatformName } from "../../components/config";
import type { RoleStats } from "../canary/rollout";
import type { StepForecast } from "../forecast";

export type CanaryStatus = "idle" | "running" | "paused" | "done" | "rolledBack";

export interface CanaryState {
  status: CanaryStatus;
  /** Index into policy.canary.steps; -1 = requested, no traffic shifted yet. */
  step: number;
  /** When the current step began (epoch ms); a step advances after a full interval of passing analysis. */
  stepStartedAt: number | null;
  /** Why the rollout paused, rolled back or finished. */
  reason: string | null;
  /**
   * Live's last window with enough requests: the yardstick once the shadows take (nearly) all reads
   * and live serves too few requests to judge by (a read-only service at 100 % would stall without it).
   */
  baseline?: RoleStats;
}

/** An instance taken out because it failed; its host is avoided until it is healthy again. */
export interface DrainedInstance {
  host: string;
  instance: string;
  at: number;
  reason: string;
  /** Since when it has been observed healthy again (epoch ms), or null. */
  healthySince: number | null;
}

/** Desired state of one service plus the memory the rules need between ticks. */
export interface ServiceState {
  replicas: number;
  shadows: number;
  weightPercent: number;
  mirrorPercent: number;
  /** The service's replication bound (replication.maxLagSeconds); null when it has no store. */
  maxLagSec: number | null;
  canary: CanaryState;
  /**
   * When capacity last joined either pool: a scale-up, a promotion, a completed rollout or a demoted
   * live instance (it joins the shadow pool). The shadow pool shrinks only a stabilisation window later.
   */
  lastScaleUpAt: number | null;
  lastScaleDownAt: number | null;
  /** Last tick at which P(rise) reached the confidence; mirroring stays on for a stabilisation window after it. */
  lastTriggerAt: number | null;
  /** Shadow-count recommendations inside the stabilisation window; scale-down goes to their maximum. */
  recommendations: { t: number; shadows: number }[];
  /** Since when mean live CPU has been continuously below the consolidation floor (epoch ms), or null. */
  lowSince: number | null;
  /** Requests/s one instance serves at 100 % CPU, learned from observations (smoothed); null until seen. */
  capacityPerInstance: number | null;
  drained: DrainedInstance[];
}

export interface DecideState {
  platform: PlatformName;
  /** The stack's hosts: live and shadow instances of one service each need a host of their own. */
  hosts: string[];
  services: Record<string, ServiceState>;
}

export type InstanceRole = "live" | "shadow" | "drained";

/** The window the runner's rates (request rate, error rate, p99) are measured over, in seconds. */
export const RATE_WINDOW_SEC = 30;

/** One instance's latest metrics. An absent field is a missing metric. */
export interface InstanceObservation {
  /** The instance's name in the metrics (e.g. orders-live-host-1). */
  instance: string;
  host: string;
  role: InstanceRole;
  /** When these metrics were sampled (epoch ms); older than policy.staleAfterSec = stale. */
  at: number;
  /** Requests/s served (mirrored requests excluded for live instances). */
  requestRate?: number;
  /** 0–1. */
  cpu?: number;
  memoryBytes?: number;
  p99Ms?: number;
  /** 0–1. */
  errorRate?: number;
  up?: boolean;
  replicationLagSec?: number;
}

export interface Observations {
  /** The tick's time (epoch ms): the only clock decide() knows. */
  now: number;
  services: Record<string, InstanceObservation[]>;
}

/** A service's load forecast as data (see summariseForecast). */
export interface ServiceForecast {
  /** When it was computed (epoch ms). */
  at: number;
  /** Requests/s arriving now (the load balancer's frontend rate). */
  currentLoad: number;
  stepSec: number;
  /** Quantiles aligned with QUANTILES. */
  steps: StepForecast[];
  /** P(load rises ≥ policy.riseThreshold within policy.horizonSec). */
  pRise: number;
  /** Largest median over the horizon, at least the current load: what the live instances should carry. */
  expected: number;
  /** Largest upper quantile (policy.upperQuantile) over the horizon, at least the current load. */
  upper: number;
  /** The largest median step inside the horizon, when it is ≥ (1 + riseThreshold) × currentLoad. */
  peak: { at: number; load: number } | null;
}

export type Forecasts = Record<string, ServiceForecast | undefined>;

export type Rule = "switchover" | "mirroring" | "scaling" | "rollout" | "consolidation" | "restore";

/** Highest first: a tick's budget of changes goes to safety, then scale-up, rollout, scale-down. */
export const PRIORITIES = ["safety", "scale-up", "rollout", "scale-down"] as const;
export type Priority = (typeof PRIORITIES)[number];

interface ChangeBase {
  service: string;
  rule: Rule;
  priority: Priority;
  reason: string;
}

/** A shadow becomes live at once (the runner flips load-balancer weights, then writes the config). */
export interface PromoteChange extends ChangeBase {
  kind: "promote";
  instance: string;
  host: string;
  /** The failed live instance it stands in for, or null when it adds capacity. */
  replaces: string | null;
}

/** A failed live instance leaves the rotation and the config; its host is avoided for a while. */
export interface DrainChange extends ChangeBase {
  kind: "drain";
  instance: string;
  host: string;
}

/**
 * A live instance leaves the rotation and stays as a warm shadow (weight 0): consolidation's first
 * step. The shadow pool's scale-down removes it later if the cost model does not want it.
 */
export interface DemoteChange extends ChangeBase {
  kind: "demote";
  instance: string;
  host: string;
}

/** A drained host is healthy again and may be placed on again (state only; no config change). */
export interface RestoreChange extends ChangeBase {
  kind: "restore";
  instance: string;
  host: string;
}

export interface CountChange extends ChangeBase {
  kind: "setReplicas" | "setShadows";
  from: number;
  to: number;
  /** Hosts not to place new instances on (drained after failing). */
  avoid: string[];
}

export interface PercentChange extends ChangeBase {
  kind: "setMirror" | "setWeights";
  from: number;
  to: number;
}

/** The canary reached 100 %: shadows become the live instances and the old live instances the shadows. */
export interface CompleteRolloutChange extends ChangeBase {
  kind: "completeRollout";
}

export type Change = PromoteChange | DrainChange | DemoteChange | RestoreChange | CountChange | PercentChange | CompleteRolloutChange;

/** Expected cost over the horizon of keeping `shadows` shadows. */
export interface CostCandidate {
  shadows: number;
  instanceCost: number;
  /** Expected minutes above the CPU threshold (degraded) and above full capacity (down). */
  degradedMinutes: number;
  downMinutes: number;
  /** Highest per-step P(load > capacity at the CPU threshold). */
  pShortfall: number;
  penalty: number;
  total: number;
}

export interface CostEstimate {
  horizonSec: number;
  pricePerHour: number;
  live: number;
  capacityPerInstance: number;
  chosen: CostCandidate;
  candidates: CostCandidate[];
}

export interface Decision {
  state: DecideState;
  /** Applied in order; at most policy.maxChangesPerTick. */
  changes: Change[];
  /** Why, for every rule that acted, held or was deferred ("<service>: <rule>: ..."). */
  reasons: string[];
  /** Per service; null when there was no usable forecast or capacity to price. */
  costEstimate: Record<string, CostEstimate | null>;
}
