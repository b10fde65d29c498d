// `reactive-hpa`: the HPA on CPU; new pods cold-start.
import type { Point } from "../../forecast";
import type { ClusterView, SimAction, Strategy } from "../types";
import { HpaOptions, HpaRecommender, liveCount } from "./hpa";

export class ReactiveHpa implements Strategy {
  readonly name = "reactive-hpa";
  private readonly hpa: HpaRecommender;

  constructor(options: HpaOptions) {
    this.hpa = new HpaRecommender(options);
  }

  observe(_point: Point): void {
    // Reactive: the trace's past is not used, only the current CPU.
  }

  tick(view: ClusterView): SimAction[] {
    const current = liveCount(view);
    const rec = this.hpa.recommend(view);
    if (rec === null) return [];
    const desired = this.hpa.stabilise(view.now, rec, current);
    return desired === current ? [] : [{ kind: "setLive", count: desired }];
  }
}
