// `reactive-hpa`: the Kubernetes HPA (see hpa.ts) on the shared utilisation signal; new pods cold-start.
import type { Point } from "../../forecast";
import type { ClusterView, SimAction, Strategy } from "../types";
import { HpaController, HpaOptions, SyncClock, liveCount } from "./hpa";

export class ReactiveHpa implements Strategy {
  readonly name = "reactive-hpa";
  private readonly hpa: HpaController;
  private readonly clock: SyncClock;

  constructor(options: HpaOptions) {
    this.hpa = new HpaController(options);
    this.clock = new SyncClock(options.syncSec);
  }

  observe(_point: Point): void {
    // Reactive: the trace's past is not used, only the current metrics.
  }

  tick(view: ClusterView): SimAction[] {
    if (!this.clock.due(view.now)) return [];
    const current = liveCount(view);
    const rec = this.hpa.recommend(view);
    if (rec === null) return [];
    const desired = this.hpa.stabilise(view.now, rec, current);
    return desired === current ? [] : [{ kind: "setLive", count: desired }];
  }
}
