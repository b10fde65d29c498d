// Daily profile: the load at the target's time of day taken as the median over the past days (a few
// slots either side of that time, so neither one noisy slot nor one day's spike sets it), moved by how
// far the last few slots sit from their own profile (the median of those deviations, so one spike
// cannot move it). Medians throughout: MASE scores absolute errors, which the conditional median
// minimises, and on noisy count series a median over tens of past values is a steadier seasonal
// anchor than one seasonal lag (seasonal naive) or a seasonal smoothed on squared errors
// (Holt-Winters). Log or level space is chosen on the held-out tail of the fit window. Stateless
// between fits: every forecast reads the series.
import { Series } from "../series";
import { median } from "../stats";
import { ModelFailure, PointModel, Periods } from "./model";

export type ProfileSpace = "log" | "level";

export interface DailyProfileSpec {
  space: ProfileSpace;
  /** Added before the log (log space only). */
  offset: number;
  /** Slots per day. */
  daily: number;
  /** Past days whose values at the same time of day make the profile. */
  days: number;
}

export interface DailyProfileJSON {
  kind: "daily-profile";
  spec: DailyProfileSpec;
}

/** Slots either side of the time of day that the profile reads. */
export const PROFILE_WIDTH = 2;
/** Recent slots whose deviation from the profile sets the level. */
export const LEVEL_SLOTS = 6;
/** At most this many past days: older days describe an older pattern. */
export const MAX_DAYS = 7;
/** Share of the fit window held out to choose the space. */
const VALIDATION_SHARE = 0.2;

const toSpace = (spec: Pick<DailyProfileSpec, "space" | "offset">, y: number): number => (spec.space === "log" ? Math.log(Math.max(y, 0) + spec.offset) : y);
const fromSpace = (spec: Pick<DailyProfileSpec, "space" | "offset">, z: number): number => Math.max(spec.space === "log" ? Math.exp(z) - spec.offset : z, 0);

/**
 * The profile of slot x as seen from `origin`: the median of `transform(load)` over the slots within
 * PROFILE_WIDTH of x's time of day on the `days` days before x, reading only slots in [first, origin];
 * NaN when none is readable. The boosted-trees member reads it too.
 */
export function profileAt(series: Series, x: number, origin: number, season: Pick<DailyProfileSpec, "daily" | "days">, transform: (y: number) => number = (y) => y): number {
  const values: number[] = [];
  for (let n = 1; n <= season.days; n++) {
    for (let u = -PROFILE_WIDTH; u <= PROFILE_WIDTH; u++) {
      const i = x - n * season.daily + u;
      if (i >= series.first && i <= origin) values.push(transform(series.value(i)));
    }
  }
  return values.length > 0 ? median(values) : NaN;
}

/**
 * Forecasts for origin+1..origin+h reading only slots in [first, origin]: the profile of each target
 * plus the median deviation of the last LEVEL_SLOTS slots from their profiles. A target too close to
 * the origin for any past day (within PROFILE_WIDTH of a whole day ahead) uses the days it can.
 */
function forecastFrom(spec: DailyProfileSpec, series: Series, origin: number, h: number): number[] {
  const first = series.first;
  const profile = (x: number): number => profileAt(series, x, origin, spec, (y) => toSpace(spec, y));
  const deviations: number[] = [];
  for (let u = 0; u < LEVEL_SLOTS && origin - u >= first; u++) {
    const p = profile(origin - u);
    if (Number.isFinite(p)) deviations.push(toSpace(spec, series.value(origin - u)) - p);
  }
  const shift = deviations.length > 0 ? median(deviations) : 0;
  const current = series.value(origin);
  const out: number[] = [];
  for (let k = 1; k <= h; k++) {
    const p = profile(origin + k);
    out.push(Number.isFinite(p) ? fromSpace(spec, p + shift) : current);
  }
  return out;
}

export class DailyProfile implements PointModel {
  private constructor(readonly spec: DailyProfileSpec) {}

  static fromJSON(json: DailyProfileJSON): DailyProfile {
    return new DailyProfile(json.spec);
  }

  get description(): string {
    return `daily-profile (${this.spec.space} space; median over ${this.spec.days} day(s) ±${PROFILE_WIDTH} slots, level from the last ${LEVEL_SLOTS} slots)`;
  }

  forecast(series: Series, h: number): number[] {
    const values = forecastFrom(this.spec, series, series.end - 1, h);
    if (!values.every(Number.isFinite)) throw new ModelFailure("daily-profile produced a non-finite forecast");
    return values;
  }

  observe(): void {
    // Stateless: every forecast reads the series.
  }

  toJSON(): DailyProfileJSON {
    return { kind: "daily-profile", spec: this.spec };
  }

  /**
   * Needs a daily period and two days of history (one to read, one to learn the space on). Returns
   * the reason instead of a model when it cannot run.
   */
  static fit(series: Series, periods: Periods, horizon: number, offset: number): DailyProfile | string {
    const d = periods.daily;
    if (d === null) return "the series' step does not divide a day";
    const n = series.end - series.first;
    if (n < 2 * d) return `history of ${n} slots is under two days (${2 * d})`;
    const days = Math.min(MAX_DAYS, Math.floor(n / d) - 1);
    const split = Math.max(series.first + d, series.end - Math.floor(n * VALIDATION_SHARE));
    let best: { spec: DailyProfileSpec; error: number } | null = null;
    for (const space of ["log", "level"] as const) {
      const spec: DailyProfileSpec = { space, offset, daily: d, days };
      const error = holdoutError(spec, series, split, horizon);
      if (!best || error < best.error) best = { spec, error };
    }
    return new DailyProfile((best as { spec: DailyProfileSpec }).spec);
  }
}

/** Mean absolute error over horizons 1..horizon of origins in [from, end), on clean targets. */
function holdoutError(spec: DailyProfileSpec, series: Series, from: number, horizon: number): number {
  let sum = 0;
  let count = 0;
  for (let i = from; i < series.end - 1; i++) {
    const h = Math.min(horizon, series.end - 1 - i);
    const forecast = forecastFrom(spec, series, i, h);
    for (let k = 1; k <= h; k++) {
      if (series.flag(i + k) !== 0) continue;
      sum += Math.abs(forecast[k - 1] - series.value(i + k));
      count++;
    }
  }
  return count > 0 ? sum / count : Infinity;
}
