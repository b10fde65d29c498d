// The Forecaster: one pipeline for every model kind. Per slot: the sentinel screens it for anomalies,
// the calibrator scores the forecasts that were waiting for it, the model moves on, and a fresh
// forecast is recorded for calibration. fit() runs the same loop over a held-out tail of the history,
// so the calibration starts from genuinely out-of-sample residuals.
import { RobustZDetector } from "./anomaly";
import { Calibrator } from "./calibration";
import { Calendar, makeCalendar } from "./calendar";
import { BoostedTreesModel } from "./models/boosted-trees";
import { DailyProfile } from "./models/daily-profile";
import { Ensemble, Member } from "./models/ensemble";
import { HoltWinters } from "./models/holt-winters";
import { LocalMedian } from "./models/local-median";
import { Lstm } from "./models/lstm";
import { ModelFailure, PointModel, Periods, lastCleanValue, periodsFor } from "./models/model";
import { Naive } from "./models/naive";
import { Regression } from "./models/regression";
import { SeasonalNaive, fitSeasonalNaive } from "./models/seasonal-naive";
import { Selector } from "./models/selection";
import { Stacker } from "./models/stacking";
import { ResolvedOptions, resolveOptions } from "./options";
import { prepare } from "./prepare";
import { RecalibratorJSON, RiseRecalibrator, RiseSource } from "./recalibration";
import { Sentinel, fitSentinel, logOffset, screen } from "./sentinel";
import { IMPUTED, IncomingSlot, Series, intake } from "./series";
import { FitReport, ForecastInputError, ForecastOptions, Forecaster, ForecasterStatus, MemberKind, ModelKind, Point, StepForecast } from "./types";

const HOUR_MS = 3_600_000;
/** Slots a forecaster keeps at most (the longest seasonal lookback bounds it well before that). */
const MAX_CAPACITY = 20_000;

export type Updates = ForecasterStatus["updates"];

/** Everything a fitted forecaster holds; also what toJSON() writes and restore rebuilds. */
export interface Fitted {
  report: FitReport;
  bound: number;
  periods: Periods;
  horizon: number;
  series: Series;
  sentinel: Sentinel;
  model: PointModel;
  /** Why the configured model could not be fitted and persistence stands in, or null. */
  fallback: string | null;
  calibrator: Calibrator;
  /** Per rise event asked about: raw probabilities and outcomes, and the map fitted on them. */
  recalibrator: RiseRecalibrator;
  latest: number[];
  updates: Updates;
}

/** Calibrated steps unless configured: at least an hour ahead and at least 12 steps, at most 120. */
export function defaultHorizon(stepMs: number): number {
  return Math.min(120, Math.max(12, Math.ceil(HOUR_MS / stepMs)));
}

/**
 * Holt-Winters parameters minimise the squared error up to one hour ahead (the horizons autoscaling
 * acts on), not over the whole calibrated horizon, which on coarse series would reach many hours.
 */
export function fitHorizon(stepMs: number, horizon: number): number {
  return Math.min(horizon, Math.max(1, Math.ceil(HOUR_MS / stepMs)));
}

export function capacityFor(periods: Periods, horizon: number, window: number): number {
  const lookback = periods.weekly !== null ? 3 * periods.weekly : periods.daily !== null ? 9 * periods.daily : 0;
  return Math.min(MAX_CAPACITY, Math.max(lookback, window + (periods.daily ?? 0) + 2 * horizon, 64));
}

const emptyUpdates = (): Updates => ({ accepted: 0, late: 0, rejected: 0, clipped: 0, imputed: 0, anomalies: 0 });

export class PipelineForecaster implements Forecaster {
  private state: Fitted | null;
  private tickNotes: string[] = [];
  private readonly calendar: Calendar;
  readonly options: ResolvedOptions;

  constructor(
    readonly name: ModelKind,
    /** The options as given, kept for serialization. */
    readonly input: ForecastOptions,
    state: Fitted | null = null,
  ) {
    this.options = resolveOptions(input);
    this.calendar = makeCalendar(this.options.timeZone, this.options.events);
    this.state = state;
  }

  /** The fitted state, for serialization. */
  get fitted(): Fitted | null {
    return this.state;
  }

  private get ready(): Fitted {
    if (!this.state) throw new ForecastInputError(`${this.name} forecaster is not fitted: call fit(history) first`);
    return this.state;
  }

  fit(history: Point[]): FitReport {
    const o = this.options;
    const prepared = prepare(history, o.stepMs, o.maxValue);
    const { grid } = prepared;
    const periods = periodsFor(grid.stepMs);
    const horizon = o.calibratedSteps ?? defaultHorizon(grid.stepMs);
    const n = grid.values.length;
    const train = Math.max(2, n - Math.round(n * o.calibrationFraction));
    const capacity = capacityFor(periods, horizon, o.lstm.window);
    const trainValues = grid.values.slice(0, train);
    const offset = logOffset(trainValues, grid.flags.slice(0, train));

    const notes = [...prepared.notes];
    const fitNotes: string[] = [];
    const detector = { threshold: o.anomalyThreshold, window: o.anomalyWindow, maxRun: o.anomalyMaxRun };
    const choice = { seasonality: o.hwSeasonality, errorType: o.hwErrorType };
    const sentinelFit = fitSentinel({ t0: grid.t0, stepMs: grid.stepMs, values: trainValues, flags: grid.flags.slice(0, train), calendar: this.calendar, capacity, periods, choice, fitHorizon: fitHorizon(grid.stepMs, horizon), detector, offset });
    const { series, sentinel } = sentinelFit;

    const { model, fallback, used } = this.fitModel(series, periods, horizon, offset, sentinel, sentinelFit.notes, fitNotes);
    notes.push(...fitNotes);
    const freshCalibrator = (): Calibrator => new Calibrator(horizon, o.calibrationWindow, offset, sentinel.detector.spread());
    this.state = {
      report: { model: this.name, points: n, stepMs: grid.stepMs, resampled: grid.resampled, clipped: prepared.clipped, rejected: prepared.rejected, notes, modelsUsed: used },
      bound: prepared.bound,
      periods,
      horizon,
      series,
      sentinel,
      model,
      fallback,
      calibrator: freshCalibrator(),
      recalibrator: new RiseRecalibrator(),
      latest: [],
      updates: emptyUpdates(),
    };
    this.tickNotes = [];
    this.state.latest = this.safeForecast(horizon);
    this.state.calibrator.record(this.state.latest);
    // The ensemble's weights start equal and need outcomes to settle: its residuals are collected
    // only after the first third of the held-out tail, so they reflect the weights it will run with.
    const warmup = this.name === "ensemble" ? train + Math.floor((n - train) / 3) : train;
    for (let i = train; i < n; i++) {
      if (i === warmup && i > train) {
        this.state.calibrator = freshCalibrator();
        this.state.calibrator.record(this.state.latest);
      }
      this.absorb({ value: grid.values[i], flag: grid.flags[i] });
    }
    const { calibrator } = this.state;

    const anomalies = sentinelFit.anomalies + this.state.updates.anomalies;
    this.state.updates = emptyUpdates();
    if (anomalies > 0) notes.push(`${anomalies} anomalous point(s) flagged in the history (kept out of the statistical fits, shown to the LSTM)`);
    notes.push(`fitted on ${train} slots; calibrated on ${calibrator.size} out-of-sample forecast paths of ${horizon} steps`);
    if (calibrator.thin) notes.push("calibration is thin (under 30 out-of-sample paths): intervals and probabilities use a Gaussian stand-in until update() brings more");
    this.state.report.notes = notes;
    return this.report();
  }

  private fitModel(series: Series, periods: Periods, horizon: number, offset: number, sentinel: Sentinel, hwNotes: string[], notes: string[]): { model: PointModel; fallback: string | null; used: string[] } {
    const o = this.options;
    const fitMember = (kind: MemberKind): PointModel | string => {
      switch (kind) {
        case "naive":
          return new Naive();
        case "seasonal-naive":
          return fitSeasonalNaive(series, periods, o.season, notes);
        case "holt-winters":
          notes.push(...hwNotes);
          return sentinel.model.clone();
        case "regression":
          return Regression.fit(series, periods, horizon, offset, notes);
        case "lstm":
          return Lstm.train(series, { ...o.lstm, horizon, seed: o.seed }, periods, notes);
        case "daily-profile":
          return DailyProfile.fit(series, periods, horizon, offset);
        case "local-median":
          return new LocalMedian();
        case "boosted-trees":
          return BoostedTreesModel.fit(series, periods, horizon, o.seed);
      }
    };
    if (this.name !== "ensemble") {
      const model = fitMember(this.name);
      if (typeof model === "string") {
        notes.push(`${this.name} unavailable: ${model}; persistence forecasts instead`);
        return { model: new SeasonalNaive(null, null), fallback: model, used: ["persistence"] };
      }
      notes.push(model.description);
      return { model, fallback: null, used: [this.name] };
    }
    const members: Member[] = [];
    for (const kind of o.members) {
      const model = fitMember(kind);
      if (typeof model === "string") notes.push(`ensemble runs without ${kind}: ${model}`);
      else {
        members.push({ kind, model });
        notes.push(model.description);
      }
    }
    const halfLife = o.halfLifeSteps ?? periods.daily ?? 48;
    const stacker = o.stacking && members.length > 1 ? Stacker.start({ ...o.stacking, halfLife }, members.length, horizon) : null;
    const selector = o.selection && members.length > 1 ? Selector.start(o.selection, halfLife, members.length, horizon) : null;
    return { model: Ensemble.start(members, series, horizon, halfLife, o.ensemblePower, stacker, selector), fallback: null, used: members.map((m) => m.kind) };
  }

  /** Forecasts with the model, or persistence for this tick if it fails (and says why). */
  private safeForecast(h: number): number[] {
    const { model, series } = this.ready;
    try {
      const values = model.forecast(series, h);
      if (model instanceof Ensemble) this.tickNotes.push(...model.notes);
      return values;
    } catch (error) {
      if (!(error instanceof ModelFailure)) throw error;
      this.tickNotes.push(`${this.name} dropped this tick (${error.message}); persistence used`);
      return new Array<number>(h).fill(lastCleanValue(series));
    }
  }

  /** One new slot through the pipeline. */
  private absorb(slot: IncomingSlot): void {
    const s = this.ready;
    const { flag } = screen(s.sentinel, s.series, slot.value, slot.flag, s.calibrator.offset);
    if (flag !== slot.flag) s.updates.anomalies++;
    s.series.push(slot.value, flag);
    s.calibrator.observe(slot.value, (flag & IMPUTED) === 0);
    s.recalibrator.observe(s.series);
    s.sentinel.model.observe(s.series);
    s.model.observe(s.series);
    s.latest = this.safeForecast(s.horizon);
    s.calibrator.record(s.latest);
    s.recalibrator.record(this.riseSource);
  }

  update(newPoints: Point[]): void {
    const s = this.ready;
    this.tickNotes = [];
    const fresh = intake(s.series, newPoints, s.bound);
    const u = s.updates;
    u.accepted += fresh.slots.length - fresh.imputed;
    u.late += fresh.late;
    u.rejected += fresh.rejected;
    u.clipped += fresh.clipped;
    u.imputed += fresh.imputed;
    if (fresh.late > 0) this.tickNotes.push(`${fresh.late} late or duplicate point(s) ignored`);
    if (fresh.rejected > 0) this.tickNotes.push(`${fresh.rejected} point(s) rejected (NaN, infinite or absurd)`);
    if (fresh.imputed > 0) this.tickNotes.push(`${fresh.imputed} missing slot(s) interpolated`);
    for (const slot of fresh.slots) this.absorb(slot);
  }

  private checkSteps(steps: number, what: string): void {
    if (!Number.isInteger(steps) || steps < 1) throw new ForecastInputError(`${what} must be a positive integer, got ${steps}`);
  }

  private pointForecast(steps: number): number[] {
    const s = this.ready;
    return steps <= s.horizon ? s.latest.slice(0, steps) : this.safeForecast(steps);
  }

  predict(horizonSteps: number): StepForecast[] {
    this.checkSteps(horizonSteps, "horizonSteps");
    const s = this.ready;
    const quantiles = s.calibrator.quantiles(this.pointForecast(horizonSteps));
    return quantiles.map((q, k) => ({ t: s.series.time(s.series.end + k), quantiles: q }));
  }

  /**
   * The conformal probability recalibrated against the outcomes of earlier origins (see
   * recalibration.ts). Events beyond the calibrated horizon, and certain ones (a bar at or below zero),
   * get the conformal probability as it is. The event is tracked from its first call on (at most a few
   * events at once), so asking changes the state that toJSON() writes.
   */
  probabilityOfRise(r: number, withinSteps: number): number {
    const raw = this.rawProbabilityOfRise(r, withinSteps);
    const s = this.ready;
    if (withinSteps > s.horizon || !((1 + r) * s.series.value(s.series.end - 1) > 0)) return raw;
    return s.recalibrator.calibrate(r, withinSteps, raw, this.riseSource);
  }

  /** The conformal probability alone, before recalibration (for diagnostics and the backtest). */
  rawProbabilityOfRise(r: number, withinSteps: number): number {
    this.checkSteps(withinSteps, "withinSteps");
    if (!Number.isFinite(r)) throw new ForecastInputError(`r must be a finite number, got ${r}`);
    const s = this.ready;
    const current = s.series.value(s.series.end - 1);
    return s.calibrator.probabilityAbove(this.pointForecast(withinSteps), (1 + r) * current, withinSteps);
  }

  private get riseSource(): RiseSource {
    const s = this.ready;
    return {
      series: s.series,
      calibrator: s.calibrator,
      raw: (r, within) => s.calibrator.probabilityAbove(s.latest, (1 + r) * s.series.value(s.series.end - 1), within),
    };
  }

  report(): FitReport {
    const r = this.ready.report;
    return { ...r, notes: [...r.notes], modelsUsed: r.modelsUsed ? [...r.modelsUsed] : undefined };
  }

  status(): ForecasterStatus {
    const s = this.ready;
    const weights: Record<string, number> = {};
    if (s.model instanceof Ensemble) {
      const w = s.model.currentWeights(1);
      s.model.members.forEach((m, i) => (weights[m.kind] = w[i]));
    }
    const notes = s.fallback ? [`${this.name} unavailable since fit: ${s.fallback}`, ...this.tickNotes] : [...this.tickNotes];
    return { modelsUsed: [...(s.report.modelsUsed ?? [])], weights, updates: { ...s.updates }, notes };
  }

  toJSON(): unknown {
    return serialize(this);
  }
}

export interface ForecasterJSON {
  format: typeof FORMAT;
  version: typeof VERSION;
  kind: ModelKind;
  options: ForecastOptions;
  state: null | {
    report: FitReport;
    bound: number;
    periods: Periods;
    horizon: number;
    series: ReturnType<Series["toJSON"]>;
    sentinel: { model: ReturnType<HoltWinters["toJSON"]>; detector: ReturnType<RobustZDetector["toJSON"]> };
    model: unknown;
    fallback: string | null;
    calibrator: ReturnType<Calibrator["toJSON"]>;
    /** Since version 2; a version 1 forecaster restores with no events tracked yet. */
    recalibrator?: RecalibratorJSON;
    latest: number[];
    updates: Updates;
  };
}

export const FORMAT = "understudy.forecaster";
/** 2: adds the rise recalibrator. */
export const VERSION = 2;
/** Older versions restoreForecaster() still reads. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];

function serialize(f: PipelineForecaster): ForecasterJSON {
  const s = f.fitted;
  return {
    format: FORMAT,
    version: VERSION,
    kind: f.name,
    options: f.input,
    state: s && {
      report: s.report,
      bound: s.bound,
      periods: s.periods,
      horizon: s.horizon,
      series: s.series.toJSON(),
      sentinel: { model: s.sentinel.model.toJSON(), detector: s.sentinel.detector.toJSON() },
      model: s.model.toJSON(),
      fallback: s.fallback,
      calibrator: s.calibrator.toJSON(),
      recalibrator: s.recalibrator.toJSON(),
      latest: s.latest,
      updates: s.updates,
    },
  };
}
