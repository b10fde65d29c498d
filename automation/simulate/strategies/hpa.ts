// The Kubernetes Horizontal Pod Autoscaler (autoscaling/v2, a Resource utilisation metric), as the
// controller computes it (kubernetes/kubernetes pkg/controller/podautoscaler: replica_calculator.go
// GetResourceReplicas and groupPods, horizontal.go's default behaviour):
// - every sync (15 s), desired = ceil(ready pods × mean utilisation / target), nothing within the 10 %
//   tolerance;
// - pods not ready (starting, or ready for less than one metric window) are left out; on a scale-up
//   they are put back at 0 %; pods without a metric count 0 % on a scale-up and 100 % on a
//   scale-down; if that rebalancing brings the ratio within tolerance or reverses its direction, or
//   the count would move against the direction, the current count stays;
// - scale-down to the highest recommendation of the last 5 minutes; scale-up at most
//   max(4 pods, 100 %) per 15 s.
import type { ClusterView } from "../types";

export interface HpaOptions {
  targetUtilisation: number;
  tolerance: number;
  syncSec: number;
  scaleDownStabilisationSec: number;
  /** Default scale-up policies: at most this many pods more per sync period ... */
  scaleUpPods: number;
  /** ... or this percent of the current count, whichever is more. */
  scaleUpPercent: number;
  /** A pod's metric within this long of turning ready does not count yet (one metrics-server window). */
  metricWindowSec: number;
  minReplicas: number;
  maxReplicas: number;
}

/** Kubernetes' defaults; the target utilisation is the benchmark's, shared by every strategy. */
export const DEFAULT_HPA: HpaOptions = {
  targetUtilisation: 0.7,
  tolerance: 0.1,
  syncSec: 15,
  scaleDownStabilisationSec: 300,
  scaleUpPods: 4,
  scaleUpPercent: 100,
  metricWindowSec: 15,
  minReplicas: 1,
  maxReplicas: 200,
};

/** One pod of the scale target as the controller sees it. */
export interface PodSample {
  /** Ready, and ready for at least one metric window. */
  ready: boolean;
  /** Utilisation of its request (0–∞); undefined when the metrics API has none for it. */
  utilisation?: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** GetResourceReplicas: the replica count the metrics ask for; null when no ready pod has a metric (the controller errors and keeps the count). */
export function resourceReplicas(pods: readonly PodSample[], current: number, o: HpaOptions): number | null {
  const metrics = pods.filter((p) => p.ready && p.utilisation !== undefined).map((p) => p.utilisation as number);
  const unready = pods.filter((p) => !p.ready).length;
  const missing = pods.filter((p) => p.ready && p.utilisation === undefined).length;
  if (metrics.length === 0) return null;
  const usageRatio = mean(metrics) / o.targetUtilisation;
  const rebalanceUnready = unready > 0 && usageRatio > 1;
  if (!rebalanceUnready && missing === 0) {
    if (Math.abs(1 - usageRatio) <= o.tolerance) return current;
    return Math.ceil(usageRatio * metrics.length);
  }
  if (usageRatio < 1) for (let i = 0; i < missing; i++) metrics.push(Math.max(1, o.targetUtilisation));
  else if (usageRatio > 1) for (let i = 0; i < missing; i++) metrics.push(0);
  if (rebalanceUnready) for (let i = 0; i < unready; i++) metrics.push(0);
  const newRatio = mean(metrics) / o.targetUtilisation;
  if (Math.abs(1 - newRatio) <= o.tolerance || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1)) return current;
  const replicas = Math.ceil(newRatio * metrics.length);
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) return current;
  return replicas;
}

export const liveCount = (view: ClusterView): number => view.instances.filter((x) => x.role === "live").length;

/** The live pods of a cluster view as the controller groups them. */
export function podSamples(view: ClusterView, o: HpaOptions): PodSample[] {
  const cpu = new Map(view.observations.filter((x) => x.role === "live").map((x) => [x.instance, x.cpu]));
  return view.instances
    .filter((x) => x.role === "live")
    .map((x) => ({ ready: x.ready && view.now >= x.readyAt + o.metricWindowSec * 1000, utilisation: cpu.get(x.id) }));
}

/** The controller's state across syncs: the recommendations of the stabilisation window. */
export class HpaController {
  private recommendations: { t: number; n: number }[] = [];

  constructor(readonly o: HpaOptions) {}

  /** The replica count the metrics ask for, before stabilisation and rate limits; null when nothing can be read. */
  recommend(view: ClusterView): number | null {
    return resourceReplicas(podSamples(view, this.o), liveCount(view), this.o);
  }

  /**
   * The count to scale to: down only to the highest recommendation of the stabilisation window (the
   * scale-up window is 0), up by at most max(scaleUpPods, scaleUpPercent %), within min/max replicas.
   */
  stabilise(now: number, recommendation: number, current: number): number {
    const cutoff = now - this.o.scaleDownStabilisationSec * 1000;
    this.recommendations = this.recommendations.filter((r) => r.t > cutoff);
    this.recommendations.push({ t: now, n: recommendation });
    let desired = Math.min(current, Math.max(...this.recommendations.map((r) => r.n)));
    if (recommendation > current) desired = recommendation;
    const upLimit = Math.max(current + this.o.scaleUpPods, Math.ceil(current * (1 + this.o.scaleUpPercent / 100)));
    return Math.max(this.o.minReplicas, Math.min(this.o.maxReplicas, upLimit, desired));
  }
}

/** True once every syncSec: controllers act on their own period, the simulator's clock is finer. */
export class SyncClock {
  private last = -Infinity;

  constructor(private readonly periodSec: number) {}

  due(now: number): boolean {
    if (now - this.last < this.periodSec * 1000) return false;
    this.last = now;
    return true;
  }
}
