// `phpa`: the Predictive Horizontal Pod Autoscaler's approach (jthomperoo/predictive-horizontal-pod-
// autoscaler): every sync the HPA's own calculation gives a replica count; those counts are kept as a
// series and a Holt-Winters model forecasts the series — the replica count, not the load; the PHPA
// scales to the highest of the calculated count and the predictions (decisionType "maximum"), then
// holds scale-down to the highest decision of its downscale-stabilisation window.
// Where this departs from PHPA, it is in PHPA's favour: the model's parameters and seasonality are
// fitted on the history (PHPA takes alpha/beta/gamma by hand) and it looks a cold start + warm-up + one
// step ahead (PHPA's Holt-Winters predicts one model period ahead).
import { QUANTILES, Forecaster, ForecastOptions, Point, StepForecast, createForecaster } from "../../forecast";
import type { Trace } from "../trace";
import type { ClusterView, SimAction, SimParams, Strategy } from "../types";
import { HpaController, HpaOptions, SyncClock, liveCount } from "./hpa";

const MEDIAN = QUANTILES.indexOf(0.5);

/**
 * How far ahead capacity must be asked for: a cold start and warm-up, plus one trace step, since
 * demand ramps toward a step's value from the step before.
 */
export const leadSec = (p: SimParams, stepSec: number): number => p.coldStartSec + p.warmUpSec + stepSec;

/** Forecast steps that cover the lead from anywhere inside a step. */
export const leadSteps = (p: SimParams, stepSec: number): number => Math.ceil(leadSec(p, stepSec) / stepSec) + 1;

export interface PhpaOptions {
  hpa: HpaOptions;
  forecast: ForecastOptions;
  /** Refit the model this often (update() with every period in between), on the last fitWindowSec. */
  refitEverySec: number;
  fitWindowSec: number;
}

export class Phpa implements Strategy {
  readonly name = "phpa";
  private readonly hpa: HpaController;
  private readonly clock: SyncClock;
  private readonly stepMs: number;
  private readonly steps: number;
  /** The replica-count series the model learns from, one point per model period (the trace's step). */
  private readonly counts: Point[];
  private forecaster: Forecaster;
  private lastFit: number;
  private predicted: StepForecast[];
  /** Calculated counts of the model period in progress, which ends at periodEnd. */
  private period = { end: 0, sum: 0, n: 0 };
  private decisions: { t: number; n: number }[] = [];

  constructor(
    trace: Trace,
    private readonly p: SimParams,
    private readonly o: PhpaOptions,
  ) {
    this.hpa = new HpaController(o.hpa);
    this.clock = new SyncClock(o.hpa.syncSec);
    this.stepMs = trace.stepSec * 1000;
    this.steps = leadSteps(p, trace.stepSec);
    // Had the PHPA run over the history, its HPA would have asked for what the load needed at the target.
    const perInstance = p.capacityPerInstance * o.hpa.targetUtilisation;
    this.counts = trace.points.slice(0, trace.start).map((x) => ({ t: x.t, v: Math.max(1, Math.ceil(x.v / perInstance)) }));
    this.lastFit = this.counts[this.counts.length - 1].t;
    this.forecaster = this.fit();
    this.predicted = this.forecaster.predict(this.steps);
    this.period.end = this.lastFit + this.stepMs;
  }

  private fit(): Forecaster {
    const f = createForecaster("holt-winters", this.o.forecast);
    f.fit(this.counts.filter((x) => x.t > this.lastFit - this.o.fitWindowSec * 1000));
    return f;
  }

  observe(_point: Point): void {
    // The PHPA learns from its own replica counts, not from the load.
  }

  /** Closes the model periods that ended by `now`: one point each, then a model run. */
  private record(now: number): void {
    while (now >= this.period.end) {
      const last = this.counts[this.counts.length - 1].v;
      const point = { t: this.period.end, v: this.period.n > 0 ? this.period.sum / this.period.n : last };
      this.counts.push(point);
      if (point.t - this.lastFit >= this.o.refitEverySec * 1000) {
        this.lastFit = point.t;
        this.forecaster = this.fit();
      } else this.forecaster.update([point]);
      this.predicted = this.forecaster.predict(this.steps);
      this.period = { end: this.period.end + this.stepMs, sum: 0, n: 0 };
    }
  }

  tick(view: ClusterView): SimAction[] {
    if (!this.clock.due(view.now)) return [];
    this.record(view.now);
    const current = liveCount(view);
    const calculated = this.hpa.recommend(view);
    if (calculated === null) return [];
    this.period.sum += calculated;
    this.period.n++;
    const leadEnd = view.now + leadSec(this.p, this.stepMs / 1000) * 1000;
    const ahead = this.predicted.filter((s, i) => i === 0 || s.t <= leadEnd);
    const predicted = Math.ceil(Math.max(0, ...ahead.map((s) => s.quantiles[MEDIAN])));
    const target = Math.max(this.o.hpa.minReplicas, Math.min(this.o.hpa.maxReplicas, Math.max(calculated, predicted)));
    const cutoff = view.now - this.o.hpa.scaleDownStabilisationSec * 1000;
    this.decisions = this.decisions.filter((d) => d.t >= cutoff);
    this.decisions.push({ t: view.now, n: target });
    const desired = Math.max(...this.decisions.map((d) => d.n));
    return desired === current ? [] : [{ kind: "setLive", count: desired }];
  }
}
