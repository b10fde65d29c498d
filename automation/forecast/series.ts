// Turning raw points into a regular grid: reject what cannot be load, clip what cannot be negative,
// resample onto the series' step and fill gaps (flagged, so no model learns from invented values).
import { Calendar, CalendarInfo } from "./calendar";
import { isFiniteNumber, mad, median } from "./stats";
import { ForecastInputError, Point } from "./types";

/** Per-slot flags. Flagged values are kept out of the statistical fits and shown to the LSTM. */
export const ANOMALY = 1;
export const IMPUTED = 2;

/** How far above the typical level (in robust spreads) a value counts as absurd. */
const ABSURD_SPREADS = 1000;

export interface CleanResult {
  points: Point[];
  rejected: number;
  clipped: number;
}

/** Drops unusable points (bad timestamp, NaN, infinite, above `bound`) and clips negative loads to 0. */
export function cleanPoints(raw: unknown, bound: number): CleanResult {
  if (!Array.isArray(raw)) throw new ForecastInputError("series must be an array of { t, v } points");
  const points: Point[] = [];
  let rejected = 0;
  let clipped = 0;
  for (const p of raw as unknown[]) {
    const t = (p as Partial<Point> | null)?.t;
    const v = (p as Partial<Point> | null)?.v;
    if (!isFiniteNumber(t) || !isFiniteNumber(v) || v > bound) {
      rejected++;
      continue;
    }
    if (v < 0) clipped++;
    points.push({ t, v: Math.max(v, 0) });
  }
  return { points, rejected, clipped };
}

/** Upper bound for plausible values: far above the typical level, unless configured. */
export function absurdBound(values: readonly number[], maxValue?: number): number {
  if (maxValue !== undefined) return maxValue;
  const finite = values.filter((v) => isFiniteNumber(v) && v >= 0 && v < 1e15);
  if (finite.length === 0) return 1e15;
  const center = median(finite);
  const spread = Math.max(1.4826 * mad(finite, center), 1e-3 * Math.abs(center), 1e-9);
  return center + ABSURD_SPREADS * spread;
}

/** The series' step: the median spacing of distinct timestamps, to the millisecond. */
export function inferStep(times: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) if (times[i] > times[i - 1]) gaps.push(times[i] - times[i - 1]);
  if (gaps.length === 0) throw new ForecastInputError("cannot infer the step: fewer than two distinct timestamps");
  return Math.round(median(gaps));
}

export interface Grid {
  t0: number;
  stepMs: number;
  values: number[];
  flags: number[];
  /** Slots not filled by exactly one on-grid point. */
  resampled: number;
  imputed: number;
  largestGapSteps: number;
}

/** Averages points into slots of `stepMs` from the first timestamp and interpolates missing slots. */
export function resample(points: readonly Point[], stepMs: number): Grid {
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const t0 = sorted[0].t;
  const slots = Math.round((sorted[sorted.length - 1].t - t0) / stepMs) + 1;
  const sums = new Array<number>(slots).fill(0);
  const counts = new Array<number>(slots).fill(0);
  const offGrid = new Array<boolean>(slots).fill(false);
  for (const p of sorted) {
    const k = Math.round((p.t - t0) / stepMs);
    sums[k] += p.v;
    counts[k]++;
    if (p.t !== t0 + k * stepMs) offGrid[k] = true;
  }
  const values = new Array<number>(slots).fill(NaN);
  const flags = new Array<number>(slots).fill(0);
  let resampled = 0;
  for (let k = 0; k < slots; k++) {
    if (counts[k] > 0) values[k] = sums[k] / counts[k];
    if (counts[k] > 1 || offGrid[k]) resampled++;
  }
  let imputed = 0;
  let largestGapSteps = 0;
  for (let k = 1; k < slots; k++) {
    if (counts[k] > 0) continue;
    let next = k;
    while (counts[next] === 0) next++;
    largestGapSteps = Math.max(largestGapSteps, next - k + 1);
    for (let j = k; j < next; j++) {
      values[j] = values[k - 1] + ((values[next] - values[k - 1]) * (j - k + 1)) / (next - k + 1);
      flags[j] = IMPUTED;
      imputed++;
    }
    k = next;
  }
  return { t0, stepMs, values, flags, resampled: resampled + imputed, imputed, largestGapSteps };
}

/** Serialized form of a Series: the calendar is rebuilt from options, not stored. */
export interface SeriesJSON {
  t0: number;
  stepMs: number;
  start: number;
  values: number[];
  flags: number[];
}

/**
 * The regular series a forecaster keeps, addressed by absolute slot index (0 = t0). Only the most
 * recent `capacity` slots are kept: enough for the longest seasonal lag and the LSTM window.
 */
export class Series {
  private info: CalendarInfo[] = [];
  private readonly future = new Map<number, CalendarInfo>();

  constructor(
    readonly t0: number,
    readonly stepMs: number,
    private start: number,
    private readonly values: number[],
    private readonly flags: number[],
    private readonly calendar: Calendar,
    private readonly capacity: number,
  ) {
    this.info = values.map((_, i) => calendar(this.time(start + i)));
  }

  static fromJSON(json: SeriesJSON, calendar: Calendar, capacity: number): Series {
    return new Series(json.t0, json.stepMs, json.start, [...json.values], [...json.flags], calendar, capacity);
  }

  toJSON(): SeriesJSON {
    return { t0: this.t0, stepMs: this.stepMs, start: this.start, values: [...this.values], flags: [...this.flags] };
  }

  /** One past the last absolute index. */
  get end(): number {
    return this.start + this.values.length;
  }

  /** First absolute index still held. */
  get first(): number {
    return this.start;
  }

  time(i: number): number {
    return this.t0 + i * this.stepMs;
  }

  value(i: number): number {
    return this.values[i - this.start];
  }

  flag(i: number): number {
    return this.flags[i - this.start];
  }

  setFlag(i: number, flag: number): void {
    this.flags[i - this.start] |= flag;
  }

  /** Calendar inputs for any slot, past or future. */
  calendarAt(i: number): CalendarInfo {
    if (i >= this.start && i < this.end) return this.info[i - this.start];
    let info = this.future.get(i);
    if (!info) {
      if (this.future.size > 4096) this.future.clear();
      info = this.calendar(this.time(i));
      this.future.set(i, info);
    }
    return info;
  }

  push(value: number, flag: number): void {
    const i = this.end;
    this.info.push(this.calendarAt(i));
    this.future.delete(i);
    this.values.push(value);
    this.flags.push(flag);
    const excess = this.values.length - this.capacity;
    if (excess > 0) {
      this.values.splice(0, excess);
      this.flags.splice(0, excess);
      this.info.splice(0, excess);
      this.start += excess;
    }
  }
}

export interface IncomingSlot {
  value: number;
  flag: number;
}

export interface Intake {
  slots: IncomingSlot[];
  late: number;
  rejected: number;
  clipped: number;
  imputed: number;
}

/**
 * Places new points on the existing grid. Points at or before the last slot are late and dropped
 * (the past is not rewritten); slots skipped by a gap are interpolated and flagged.
 */
export function intake(series: Series, raw: unknown, bound: number): Intake {
  const { points, rejected, clipped } = cleanPoints(raw, bound);
  const last = series.end - 1;
  const byIndex = new Map<number, { sum: number; count: number }>();
  let late = 0;
  for (const p of points) {
    const k = Math.round((p.t - series.t0) / series.stepMs);
    if (k <= last) {
      late++;
      continue;
    }
    const acc = byIndex.get(k) ?? { sum: 0, count: 0 };
    acc.sum += p.v;
    acc.count++;
    byIndex.set(k, acc);
  }
  const slots: IncomingSlot[] = [];
  let imputed = 0;
  let prevIndex = last;
  let prevValue = series.value(last);
  for (const k of [...byIndex.keys()].sort((a, b) => a - b)) {
    const acc = byIndex.get(k) as { sum: number; count: number };
    const value = acc.sum / acc.count;
    for (let j = prevIndex + 1; j < k; j++) {
      slots.push({ value: prevValue + ((value - prevValue) * (j - prevIndex)) / (k - prevIndex), flag: IMPUTED });
      imputed++;
    }
    slots.push({ value, flag: 0 });
    prevIndex = k;
    prevValue = value;
  }
  return { slots, late, rejected, clipped, imputed };
}
