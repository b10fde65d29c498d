// `oracle`: perfect foresight. Every instance is launched exactly a cold start plus a warm-up before
// the demand needs it and stopped as soon as nothing ahead does, sized at the target utilisation every
// strategy shares: the lower bound on cost at that target with no violation (up to whole instances and
// the tick).
import type { Point } from "../../forecast";
import { Demand, Trace } from "../trace";
import type { ClusterView, SimAction, SimParams, Strategy } from "../types";
import { liveCount } from "./hpa";

/** Keeps ⌈x⌉ from rounding an exact fit up by floating-point dust, and never lets it round down. */
const SAFETY = 1 - 1e-9;

export class Oracle implements Strategy {
  readonly name = "oracle";
  private readonly demand: Demand;

  constructor(
    trace: Trace,
    private readonly p: SimParams,
    private readonly targetUtilisation: number,
  ) {
    this.demand = new Demand(trace.points);
  }

  observe(_point: Point): void {
    // It already knows the whole trace.
  }

  private needed(t: number): number {
    return Math.ceil(this.demand.at(t) / (this.p.capacityPerInstance * this.targetUtilisation * SAFETY));
  }

  tick(view: ClusterView): SimAction[] {
    const tick = this.p.tickSec * 1000;
    const lead = (this.p.coldStartSec + this.p.warmUpSec) * 1000;
    let target = 1;
    for (let t = view.now + tick; t <= view.now + tick + lead; t += tick) target = Math.max(target, this.needed(t));
    return target === liveCount(view) ? [] : [{ kind: "setLive", count: target }];
  }
}
