// The Kubernetes Horizontal Pod Autoscaler's algorithm (autoscaling/v2, CPU utilisation metric):
// desired = ceil(ready × utilisation / target), nothing within a 10 % tolerance, pods not yet ready
// counted at 0 % for a scale-up and 100 % for a scale-down, and scale-down to the highest
// recommendation of the last 5 minutes.
import type { ClusterView } from "../types";

export interface HpaOptions {
  targetUtilisation: number;
  tolerance: number;
  scaleDownStabilisationSec: number;
  maxReplicas: number;
}

export const DEFAULT_HPA: HpaOptions = { targetUtilisation: 0.6, tolerance: 0.1, scaleDownStabilisationSec: 300, maxReplicas: 200 };

export const liveCount = (view: ClusterView): number => view.instances.filter((x) => x.role === "live").length;

export class HpaRecommender {
  private recommendations: { t: number; n: number }[] = [];

  constructor(readonly o: HpaOptions) {}

  /** The replica count the metrics ask for, before stabilisation; null without a ready pod to read. */
  recommend(view: ClusterView): number | null {
    const current = liveCount(view);
    const ready = view.observations.filter((x) => x.role === "live");
    if (ready.length === 0) return null;
    const usage = ready.reduce((s, x) => s + (x.cpu ?? 0), 0);
    const ratio = usage / ready.length / this.o.targetUtilisation;
    if (Math.abs(ratio - 1) <= this.o.tolerance) return current;
    const notReady = current - ready.length;
    if (ratio > 1) return Math.max(current, Math.ceil(usage / this.o.targetUtilisation));
    // Scale-down: pods still starting count as fully busy; no change if that reverses the direction.
    const conservative = (usage + notReady) / current / this.o.targetUtilisation;
    if (conservative >= 1 - this.o.tolerance) return current;
    return Math.max(1, Math.ceil((usage + notReady) / this.o.targetUtilisation));
  }

  /** Up at once; down only to the highest recommendation of the stabilisation window. */
  stabilise(now: number, recommendation: number, current: number): number {
    const rec = Math.min(this.o.maxReplicas, recommendation);
    this.recommendations = this.recommendations.filter((r) => r.t > now - this.o.scaleDownStabilisationSec * 1000);
    this.recommendations.push({ t: now, n: rec });
    if (rec >= current) return rec;
    return Math.min(current, Math.max(...this.recommendations.map((r) => r.n)));
  }
}
