// `holt-winters`: the predictive autoscaler's approach (as in the Predictive Horizontal Pod
// Autoscaler): capacity = point forecast / per-instance capacity, far enough ahead to cover the cold
// start and warm-up, never below what the HPA asks for now; same scale-down stabilisation as the HPA.
import { QUANTILES, Point } from "../../forecast";
import { ForecastTape, TapeReader } from "../tape";
import type { ClusterView, SimAction, SimParams, Strategy } from "../types";
import { HpaOptions, HpaRecommender, liveCount } from "./hpa";

const MEDIAN = QUANTILES.indexOf(0.5);

/** Forecast steps that cover a cold start and warm-up from anywhere inside a step. */
export const leadSteps = (p: SimParams, stepSec: number): number => Math.ceil((p.coldStartSec + p.warmUpSec) / stepSec) + 1;

export class PredictiveHoltWinters implements Strategy {
  readonly name = "holt-winters";
  private readonly hpa: HpaRecommender;
  private readonly forecaster: TapeReader;

  /** `tape`: Holt-Winters forecasts covering at least the cold start and warm-up (see leadSteps). */
  constructor(
    tape: ForecastTape,
    private readonly p: SimParams,
    hpa: HpaOptions,
  ) {
    this.hpa = new HpaRecommender(hpa);
    this.forecaster = new TapeReader(tape);
  }

  observe(point: Point): void {
    this.forecaster.observe(point);
  }

  tick(view: ClusterView): SimAction[] {
    const current = liveCount(view);
    const leadEnd = view.now + (this.p.coldStartSec + this.p.warmUpSec) * 1000;
    const ahead = this.forecaster.forecast.filter((s, i) => i === 0 || s.t <= leadEnd);
    const peak = Math.max(0, ...ahead.filter((s) => s.t > view.now).map((s) => s.quantiles[MEDIAN]));
    const predicted = Math.ceil(peak / (this.p.capacityPerInstance * this.hpa.o.targetUtilisation));
    const reactive = this.hpa.recommend(view) ?? current;
    const desired = this.hpa.stabilise(view.now, Math.max(1, predicted, reactive), current);
    return desired === current ? [] : [{ kind: "setLive", count: desired }];
  }
}
