// Direct multi-horizon regression (a dynamic harmonic regression): for each step k ahead, the change
// from the current load to the load k steps on is a linear function of
//   - recent changes and local means (how far the load sits from its last half hour, hours, …),
//   - the load at the target's slot one day before (and the mean over the days before that) and one
//     week before, each against the current load,
//   - daily and weekly Fourier terms of the target's and the origin's local time (time zone aware),
//   - the calendar event flag, and whether the current load is a flagged anomaly.
// Each horizon has its own coefficients, fitted by least absolute deviations with a small ridge
// penalty, so a forecast is a conditional median and no error compounds through fed-back forecasts.
// The space (log or level load), and whether the seasonal features are worth their variance, are
// chosen on the held-out tail of the fit window. Seasonal features
// are used only where the history holds enough of their season. Coefficients are fixed between fits;
// the features are read from the series at every forecast, so update() costs nothing.
import { lad, dot, Design } from "../linear";
import { ANOMALY, IMPUTED, Series } from "../series";
import { median } from "../stats";
import { ModelFailure, PointModel, Periods } from "./model";

export type Space = "log" | "level";

export interface RegressionSpec {
  space: Space;
  /** Added before the log (log space only). */
  offset: number;
  /** Typical one-step change in the model's space: features and targets are divided by it. */
  scale: number;
  horizon: number;
  /** Slots per day, or null without daily features. */
  daily: number | null;
  /** Past days whose load at the target's time of day is averaged (0: no daily lags). */
  dailyLags: number;
  /** Slots per week, or null without weekly features. */
  weekly: number | null;
  dailyHarmonics: number;
  weeklyHarmonics: number;
  /** Local-median windows (absent in models saved before they existed: none). */
  medians?: number[];
}

export interface RegressionJSON {
  kind: "regression";
  spec: RegressionSpec;
  /** Per horizon (1..horizon), the coefficients in feature order. */
  coefficients: number[][];
}

/** Recent loads the features compare the current one with (slots back). */
const LAGS = [1, 2, 3, 6, 12];
/** Local means over this many slots, against the current load. */
const MEANS = [6, 24, 72];
/**
 * Local medians over this many slots, against the current load: on spiky series (CPU, network bytes)
 * the median of the last hour is a far better anchor than the last value or any mean, and no linear
 * combination of lags and means can express it.
 */
const MEDIANS = [6, 12];
/** Ridge penalty relative to each feature's own scale: a light shrink toward persistence. */
const LAMBDA = 0.01;
const LAD_ITERATIONS = 4;
/** Share of the fit window held out to choose the space. */
const VALIDATION_SHARE = 0.2;
const DAILY_HARMONICS = 3;
const WEEKLY_HARMONICS = 2;
const TAU = 2 * Math.PI;

/** Reads the load in the model's space, past or (for long forecasts) already forecast. */
interface View {
  z(i: number): number;
  /** Mean of z over the m slots ending at i. */
  mean(i: number, m: number): number;
  /** Median of z over the m slots ending at i. */
  median(i: number, m: number): number;
  anomalous(i: number): boolean;
  series: Series;
}

function featureCount(spec: RegressionSpec): number {
  return (
    1 +
    LAGS.length +
    MEANS.length +
    (spec.medians ?? []).length +
    (spec.dailyLags > 0 ? 3 : 0) +
    (spec.weekly !== null ? 2 : 0) +
    4 * spec.dailyHarmonics +
    4 * spec.weeklyHarmonics +
    2
  );
}

/** Slots before an origin that its features read. */
function lookback(spec: RegressionSpec): number {
  return Math.max(LAGS[LAGS.length - 1], MEANS[MEANS.length - 1], ...(spec.medians ?? []), spec.dailyLags * (spec.daily ?? 0), spec.weekly ?? 0);
}

/** Features of origin i for the target i + k, written into `out` from `offset`. */
function features(spec: RegressionSpec, view: View, i: number, k: number, out: Float64Array, offset: number): void {
  const { series } = view;
  const s = 1 / spec.scale;
  const zi = view.z(i);
  const j = i + k;
  let c = offset;
  out[c++] = 1;
  for (const l of LAGS) out[c++] = (view.z(i - l) - zi) * s;
  for (const m of MEANS) out[c++] = (view.mean(i, m) - zi) * s;
  for (const m of spec.medians ?? []) out[c++] = (view.median(i, m) - zi) * s;
  if (spec.dailyLags > 0) {
    const d = spec.daily as number;
    let sum = 0;
    for (let n = 1; n <= spec.dailyLags; n++) sum += view.z(j - n * d);
    out[c++] = (view.z(j - d) - zi) * s;
    out[c++] = (sum / spec.dailyLags - zi) * s;
    out[c++] = (view.z(i - d) - zi) * s;
  }
  if (spec.weekly !== null) {
    out[c++] = (view.z(j - spec.weekly) - zi) * s;
    out[c++] = (view.z(i - spec.weekly) - zi) * s;
  }
  const at = series.calendarAt(i);
  const to = series.calendarAt(j);
  for (let h = 1; h <= spec.dailyHarmonics; h++) {
    const a = TAU * h * at.dayFraction;
    const b = TAU * h * to.dayFraction;
    out[c++] = Math.sin(b) - Math.sin(a);
    out[c++] = Math.cos(b) - Math.cos(a);
    out[c++] = Math.sin(a);
    out[c++] = Math.cos(a);
  }
  for (let h = 1; h <= spec.weeklyHarmonics; h++) {
    const a = (TAU * h * (at.weekday + at.dayFraction)) / 7;
    const b = (TAU * h * (to.weekday + to.dayFraction)) / 7;
    out[c++] = Math.sin(b) - Math.sin(a);
    out[c++] = Math.cos(b) - Math.cos(a);
    out[c++] = Math.sin(a);
    out[c++] = Math.cos(a);
  }
  out[c++] = (to.event !== null ? 1 : 0) - (at.event !== null ? 1 : 0);
  // A flagged spike at the origin is a poor anchor: let the model lean on the slot before it.
  out[c++] = view.anomalous(i) ? (view.z(i - 1) - zi) * s : 0;
}

const toSpace = (spec: Pick<RegressionSpec, "space" | "offset">, y: number): number => (spec.space === "log" ? Math.log(Math.max(y, 0) + spec.offset) : y);
const fromSpace = (spec: Pick<RegressionSpec, "space" | "offset">, z: number): number => Math.max(spec.space === "log" ? Math.exp(z) - spec.offset : z, 0);

/** The fit window in the model's space, with prefix sums for the local means. */
function historyView(spec: RegressionSpec, series: Series): View {
  const first = series.first;
  const n = series.end - first;
  const z = new Float64Array(n);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    z[i] = toSpace(spec, series.value(first + i));
    prefix[i + 1] = prefix[i] + z[i];
  }
  return {
    z: (i) => z[i - first],
    mean: (i, m) => (prefix[i - first + 1] - prefix[i - first + 1 - m]) / m,
    median: (i, m) => windowMedian(z, i - first, m),
    anomalous: (i) => (series.flag(i) & ANOMALY) !== 0,
    series,
  };
}

/** Training rows for horizon k: origins in [from, to − k) whose target is a clean slot. */
function design(spec: RegressionSpec, view: View, from: number, to: number, k: number): Design {
  const p = featureCount(spec);
  const origins: number[] = [];
  // An interpolated origin would anchor on a value drawn toward the gap's far end (its future): skip it.
  for (let i = from; i + k < to; i++) if (view.series.flag(i + k) === 0 && (view.series.flag(i) & IMPUTED) === 0) origins.push(i);
  const x = new Float64Array(origins.length * p);
  const y = new Float64Array(origins.length);
  origins.forEach((i, r) => {
    features(spec, view, i, k, x, r * p);
    y[r] = (view.z(i + k) - view.z(i)) / spec.scale;
  });
  return { x, y, rows: origins.length, p };
}

function fitCoefficients(spec: RegressionSpec, view: View, from: number, to: number): number[][] {
  return Array.from({ length: spec.horizon }, (_, h) => Array.from(lad(design(spec, view, from, to, h + 1), LAMBDA, LAD_ITERATIONS)));
}

/** Mean absolute error (in load units) over horizons 1..horizon of origins in [from, to). */
function holdoutError(spec: RegressionSpec, coefficients: number[][], view: View, from: number, to: number): number {
  const p = featureCount(spec);
  const row = new Float64Array(p);
  let sum = 0;
  let count = 0;
  for (let i = from; i < to; i++) {
    if ((view.series.flag(i) & IMPUTED) !== 0) continue;
    for (let k = 1; k <= spec.horizon && i + k < to; k++) {
      if (view.series.flag(i + k) !== 0) continue;
      features(spec, view, i, k, row, 0);
      const forecast = fromSpace(spec, view.z(i) + spec.scale * dot(row, 0, coefficients[k - 1]));
      sum += Math.abs(forecast - view.series.value(i + k));
      count++;
    }
  }
  return count > 0 ? sum / count : Infinity;
}

export class Regression implements PointModel {
  private constructor(
    readonly spec: RegressionSpec,
    private readonly coefficients: number[][],
  ) {}

  static fromJSON(json: RegressionJSON): Regression {
    return new Regression(json.spec, json.coefficients);
  }

  get description(): string {
    const s = this.spec;
    const seasonal = [
      s.dailyLags > 0 ? `daily lags over ${s.dailyLags} day(s)` : null,
      s.weekly !== null ? "weekly lag" : null,
      s.dailyHarmonics > 0 ? `${s.dailyHarmonics} daily harmonics` : null,
      s.weeklyHarmonics > 0 ? `${s.weeklyHarmonics} weekly harmonics` : null,
    ].filter((x) => x !== null);
    return `regression (${s.space} space, direct per horizon, least absolute deviations; ${seasonal.length > 0 ? seasonal.join(", ") : "no seasonal features"})`;
  }

  forecast(series: Series, h: number): number[] {
    const { spec } = this;
    const last = series.end - 1;
    if (last - series.first < lookback(spec)) throw new ModelFailure(`regression needs ${lookback(spec)} slots of history before the origin`);
    const extension: number[] = [];
    const z = (i: number): number => (i <= last ? toSpace(spec, series.value(i)) : extension[i - last - 1]);
    const view: View = {
      z,
      mean: (i, m) => {
        let sum = 0;
        for (let x = i - m + 1; x <= i; x++) sum += z(x);
        return sum / m;
      },
      median: (i, m) => windowMedian(Float64Array.from({ length: m }, (_, x) => z(i - m + 1 + x)), m - 1, m),
      anomalous: (i) => i <= last && (series.flag(i) & ANOMALY) !== 0,
      series,
    };
    const row = new Float64Array(featureCount(spec));
    // Beyond the fitted horizon, forecasts are extended from the last forecast step, as new origins.
    let origin = last;
    while (extension.length < h) {
      const base = z(origin);
      const block: number[] = [];
      for (let k = 1; k <= spec.horizon; k++) {
        features(spec, view, origin, k, row, 0);
        block.push(base + spec.scale * dot(row, 0, this.coefficients[k - 1]));
      }
      extension.push(...block);
      origin += spec.horizon;
    }
    const values = extension.slice(0, h).map((v) => fromSpace(spec, v));
    if (!values.every(Number.isFinite)) throw new ModelFailure("regression produced a non-finite forecast");
    return values;
  }

  observe(): void {
    // The features are read from the series at each forecast; coefficients change only on refit.
  }

  toJSON(): RegressionJSON {
    return { kind: "regression", spec: this.spec, coefficients: this.coefficients };
  }

  /**
   * Fits on the series as it stands (flagged targets left out). Returns a reason instead of a model
   * when the history is too short for even the non-seasonal features.
   */
  static fit(series: Series, periods: Periods, horizon: number, offset: number, notes: string[]): Regression | string {
    const n = series.end - series.first;
    const d = periods.daily;
    const w = periods.weekly;
    // Seasonal features need their lookback plus at least two days (two weeks) of training origins.
    // A seasonal lag must lie before the origin at every horizon, so the season must exceed the horizon.
    const dailyLags = d === null || d < horizon ? 0 : ([3, 2, 1].find((days) => n - days * d - horizon >= 2 * d) ?? 0);
    const weekly = w !== null && w >= horizon && n - w - horizon >= w ? w : null;
    if (d !== null && dailyLags === 0) notes.push("regression: under three days of history; no daily features");
    else if (w !== null && weekly === null) notes.push("regression: under two weeks of history; no weekly features");
    const seasonal = {
      horizon,
      medians: MEDIANS,
      daily: dailyLags > 0 ? d : null,
      dailyLags,
      weekly,
      dailyHarmonics: dailyLags > 0 ? DAILY_HARMONICS : 0,
      weeklyHarmonics: weekly !== null ? WEEKLY_HARMONICS : 0,
    };
    // Without seasonal features too: on a noisy series they can cost more in variance than they bring.
    const forms = dailyLags > 0 ? [seasonal, { horizon, medians: MEDIANS, daily: null, dailyLags: 0, weekly: null, dailyHarmonics: 0, weeklyHarmonics: 0 }] : [seasonal];
    const start = series.first + Math.max(LAGS[LAGS.length - 1], MEANS[MEANS.length - 1], dailyLags * (d ?? 0), weekly ?? 0);
    const split = series.end - Math.floor(n * VALIDATION_SHARE);
    if (split - start < 10 * horizon) return `history of ${n} slots is too short (needs ${start - series.first + 10 * horizon + Math.floor(n * VALIDATION_SHARE)})`;

    let positive = true;
    for (let i = series.first; i < series.end; i++) if (series.value(i) < 0 && (series.flag(i) & IMPUTED) === 0) positive = false;
    const spaces: Space[] = positive ? ["log", "level"] : ["level"];
    let best: { spec: RegressionSpec; error: number } | null = null;
    for (const space of spaces) {
      const scale = stepScale({ space, offset }, series);
      for (const form of forms) {
        const spec: RegressionSpec = { ...form, space, offset, scale };
        const view = historyView(spec, series);
        const error = spaces.length * forms.length === 1 ? 0 : holdoutError(spec, fitCoefficients(spec, view, start, split), view, split, series.end);
        if (!best || error < best.error) best = { spec, error };
      }
    }
    const spec = (best as { spec: RegressionSpec }).spec;
    return new Regression(spec, fitCoefficients(spec, historyView(spec, series), start, series.end));
  }
}

/** Median of the m values of `z` ending at index `end`. */
function windowMedian(z: Float64Array, end: number, m: number): number {
  const sorted = z.slice(end - m + 1, end + 1).sort();
  const mid = m >> 1;
  return m % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median absolute one-step change of clean slots in the given space (1 when the series is flat). */
function stepScale(spec: Pick<RegressionSpec, "space" | "offset">, series: Series): number {
  const changes: number[] = [];
  for (let i = series.first + 1; i < series.end; i++) {
    if (series.flag(i) !== 0 || series.flag(i - 1) !== 0) continue;
    changes.push(Math.abs(toSpace(spec, series.value(i)) - toSpace(spec, series.value(i - 1))));
  }
  const m = changes.length > 0 ? median(changes) : 0;
  return m > 0 ? m : 1;
}
