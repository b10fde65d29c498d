// Boosted trees: a direct multi-horizon forecast by gradient-boosted regression trees (trees.ts, LAD
// loss, so a conditional median). One model for every step ahead, the step being a feature: the
// target is the load k steps on against the median of the last 6 loads, divided by the typical
// one-step change, and the features are read the same way (recent loads, local means and medians,
// the last half hour's range, the daily profile at the target's and the origin's time of day, the
// load one day before the target), plus the target's time of day and weekday. Trees find what the
// linear members cannot: that a spike reverts and a plateau holds, that the profile is worth
// following at some hours and not at others, each split learned from the data instead of chosen.
// Level space: the fit tail's choice between log and level picked level on every tuning series.
// Fitted once on the fit window; the features are read from the series at every forecast.
import { seededRandom } from "../random";
import { IMPUTED, Series } from "../series";
import { median } from "../stats";
import { BoostedTrees, BoostedTreesJSON, BoostingSettings } from "../trees";
import { MAX_DAYS, profileAt } from "./daily-profile";
import { ModelFailure, PointModel, Periods } from "./model";

export interface BoostedTreesSpec {
  /** Typical one-step change: features and targets are divided by it. */
  scale: number;
  horizon: number;
  /** Slots per day, or null: then the profile, daily-lag and time-of-day features are missing (NaN). */
  daily: number | null;
}

export interface BoostedTreesModelJSON {
  kind: "boosted-trees";
  spec: BoostedTreesSpec;
  trees: BoostedTreesJSON;
}

/** Recent slots whose median anchors features and targets (as the local-median member's). */
const ANCHOR_SLOTS = 6;
/** Earlier loads read as features (slots back from the origin). */
const LAGS = [0, 1, 2, 3, 5, 11];
const MEANS = [12, 36, 144];
const MEDIANS = [24, 72];
const FEATURES = 1 + LAGS.length + MEANS.length + MEDIANS.length + 2 + 4 + 2;
/** At most this many (origin, step) rows, evenly spread: bounds the fit time on long histories. */
const MAX_ROWS = 20_000;
/** Origins this close to the window's start have too little behind them for the features. */
const WARM_SLOTS = 144;
const SETTINGS: BoostingSettings = { trees: 150, depth: 3, minLeaf: 40, shrinkage: 0.1, subsample: 0.5, bins: 32 };

/** Everything about an origin that does not depend on the step ahead. */
interface Origin {
  index: number;
  anchor: number;
  /** Origin features, already relative to the anchor and scaled. */
  shared: number[];
  /** The daily profile at the origin (NaN without one). */
  profile: number;
}

function readOrigin(spec: BoostedTreesSpec, series: Series, o: number): Origin {
  const value = (i: number): number => series.value(Math.max(i, series.first));
  const window = (m: number): number[] => Array.from({ length: m }, (_, u) => value(o - u));
  const recent = window(ANCHOR_SLOTS);
  const anchor = median(recent);
  const rel = (v: number): number => (v - anchor) / spec.scale;
  const profile = spec.daily === null ? NaN : profileAt(series, o, o, { daily: spec.daily, days: MAX_DAYS });
  const shared = [
    ...LAGS.map((l) => rel(value(o - l))),
    ...MEANS.map((m) => rel(window(m).reduce((a, b) => a + b, 0) / m)),
    ...MEDIANS.map((m) => rel(median(window(m)))),
    rel(Math.max(...recent)),
    rel(Math.min(...recent)),
  ];
  return { index: o, anchor, shared, profile };
}

/** The features of `origin` for the target k steps on, written into `out`. */
function features(spec: BoostedTreesSpec, series: Series, origin: Origin, k: number, out: Float64Array): void {
  const o = origin.index;
  const j = o + k;
  const rel = (v: number): number => (v - origin.anchor) / spec.scale;
  let c = 0;
  out[c++] = k;
  for (const v of origin.shared) out[c++] = v;
  const d = spec.daily;
  const target = d === null ? NaN : profileAt(series, j, o, { daily: d, days: MAX_DAYS });
  out[c++] = rel(target);
  out[c++] = rel(origin.profile);
  out[c++] = (target - origin.profile) / spec.scale;
  out[c++] = d !== null && j - d >= series.first && j - d <= o ? rel(series.value(j - d)) : NaN;
  const at = series.calendarAt(j);
  out[c++] = d === null ? NaN : at.dayFraction;
  out[c++] = at.weekday;
}

export class BoostedTreesModel implements PointModel {
  private constructor(
    readonly spec: BoostedTreesSpec,
    private readonly trees: BoostedTrees,
  ) {}

  static fromJSON(json: BoostedTreesModelJSON): BoostedTreesModel {
    return new BoostedTreesModel(json.spec, BoostedTrees.fromJSON(json.trees));
  }

  get description(): string {
    return `boosted-trees (${SETTINGS.trees} trees of depth ${SETTINGS.depth}, least absolute deviations, one model for ${this.spec.horizon} steps${this.spec.daily === null ? ", no daily features" : ""})`;
  }

  /** Steps beyond the fitted horizon fall in the last step's bin: the trees read them as that step. */
  forecast(series: Series, h: number): number[] {
    const origin = readOrigin(this.spec, series, series.end - 1);
    const row = new Float64Array(FEATURES);
    const values: number[] = [];
    for (let k = 1; k <= h; k++) {
      features(this.spec, series, origin, k, row);
      values.push(Math.max(origin.anchor + this.spec.scale * this.trees.predict(row), 0));
    }
    if (!values.every(Number.isFinite)) throw new ModelFailure("boosted-trees produced a non-finite forecast");
    return values;
  }

  observe(): void {
    // The features are read from the series at each forecast; the trees change only on refit.
  }

  toJSON(): BoostedTreesModelJSON {
    return { kind: "boosted-trees", spec: this.spec, trees: this.trees.toJSON() };
  }

  /** Fits on the series as it stands (interpolated origins and targets left out); a reason instead when too short. */
  static fit(series: Series, periods: Periods, horizon: number, seed: number): BoostedTreesModel | string {
    const start = series.first + Math.min(periods.daily ?? WARM_SLOTS, WARM_SLOTS);
    const pairs: [number, number][] = [];
    for (let o = start; o < series.end - 1; o++) {
      if ((series.flag(o) & IMPUTED) !== 0) continue;
      for (let k = 1; k <= horizon && o + k < series.end; k++) if ((series.flag(o + k) & IMPUTED) === 0) pairs.push([o, k]);
    }
    if (pairs.length < 20 * SETTINGS.minLeaf) return `history of ${series.end - series.first} slots gives ${pairs.length} training rows (needs ${20 * SETTINGS.minLeaf})`;
    const spec: BoostedTreesSpec = { scale: stepScale(series), horizon, daily: periods.daily };
    const stride = Math.max(1, pairs.length / MAX_ROWS);
    const rows = Math.floor(pairs.length / stride);
    const x = new Float64Array(rows * FEATURES);
    const y = new Float64Array(rows);
    const row = new Float64Array(FEATURES);
    let origin: Origin | null = null;
    for (let r = 0; r < rows; r++) {
      const [o, k] = pairs[Math.floor(r * stride)];
      if (origin?.index !== o) origin = readOrigin(spec, series, o);
      features(spec, series, origin, k, row);
      x.set(row, r * FEATURES);
      y[r] = (series.value(o + k) - origin.anchor) / spec.scale;
    }
    return new BoostedTreesModel(spec, BoostedTrees.fit({ x, y, rows, p: FEATURES }, SETTINGS, seededRandom(seed)));
  }
}

/** Median absolute one-step change of clean slots (1 when the series is flat). */
function stepScale(series: Series): number {
  const changes: number[] = [];
  for (let i = series.first + 1; i < series.end; i++) {
    if (series.flag(i) !== 0 || series.flag(i - 1) !== 0) continue;
    changes.push(Math.abs(series.value(i) - series.value(i - 1)));
  }
  const m = changes.length > 0 ? median(changes) : 0;
  return m > 0 ? m : 1;
}
