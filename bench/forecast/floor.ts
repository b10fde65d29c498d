import { Design, dot, ridge } from "../../automation/forecast/linear";
import { mean, median } from "../../automation/forecast/stats";

// A look-ahead floor for the point error: NOT a forecaster. Each scored target is estimated from its
// neighbours on both sides (the target slot itself excluded), so the estimate knows slots after the
// target that no forecast made before it can know. Scored on the backtest's own targets with the
// same scale, its MASE over the best baseline's says how much of the error at that horizon is noise
// that even a two-sided interpolator cannot remove: a floor ratio above 0.85 on a series is strong
// evidence that no causal forecaster reaches 0.85 there (not proof: a causal model could use
// structure the interpolators below ignore, such as long-range patterns they do not look at).

/** How a target is estimated from its neighbours within ±k slots. */
export type FloorMethod = "median" | "mean" | "quadratic";

export interface FloorCandidate {
  method: FloorMethod;
  /** Half-width of the window, in slots (the target excluded). */
  k: number;
  /**
   * When set, the interpolation runs on the seasonal difference y[j] − y[j − period] and the target is
   * y[t − period] plus the interpolated difference (so a spike that recurs every day is known).
   */
  period?: number;
  /**
   * With a period: instead of differences from one period before, the level is read against a
   * two-sided profile, the median of the loads at the same phase (±2 slots) up to 7 periods before
   * and after; the target is its profile plus the median deviation of its neighbours from theirs.
   */
  profile?: boolean;
}

/** Periods each way and phase slots either side that make a profile. */
const PROFILE_PERIODS = 7;
const PROFILE_WIDTH = 2;

/** The two-sided profile at slot s: median of unflagged loads at s + m·period + o (m ≠ 0), never reading `exclude`. */
function profileAt(values: readonly number[], flags: readonly number[], s: number, period: number, exclude: number): number {
  const xs: number[] = [];
  for (let m = -PROFILE_PERIODS; m <= PROFILE_PERIODS; m++) {
    if (m === 0) continue;
    for (let o = -PROFILE_WIDTH; o <= PROFILE_WIDTH; o++) {
      const j = s + m * period + o;
      if (j < 0 || j >= values.length || j === exclude || flags[j] !== 0 || !Number.isFinite(values[j])) continue;
      xs.push(values[j]);
    }
  }
  return median(xs);
}

export interface FloorResult {
  /** The floor: the lower of the best single candidate's MASE and the combination's (mean absolute error over the scale, as the backtest's MASE). */
  mase: number;
  /** The best single candidate, chosen on these same targets (look-ahead: it only lowers the floor). */
  candidate: FloorCandidate | null;
  /** Its MASE. */
  candidateMase: number;
  /**
   * MASE of a least-absolute-deviations combination of all candidates' estimates (and an intercept),
   * cross-fitted over two interleaved halves of the targets: each half is scored with the weights
   * fitted on the other.
   */
  combinationMase: number;
  /** Targets scored. */
  targets: number;
  /** The same for the plain linear interpolation from the two neighbours (mean, k 1), for reference. */
  linearMase: number;
}

export const FLOOR_WINDOWS: readonly number[] = [1, 2, 3, 4, 6, 9, 12, 18, 24, 36, 48, 72, 144];

/**
 * Neighbour offsets (−k…k without 0) and the values there, of y or of its seasonal difference; flagged
 * slots skipped, and so is a difference whose lagged slot is the target (k ≥ period).
 */
function neighbours(values: readonly number[], flags: readonly number[], t: number, k: number, period: number | undefined): { d: number[]; y: number[] } {
  const d: number[] = [];
  const y: number[] = [];
  for (let j = t - k; j <= t + k; j++) {
    if (j === t || j < 0 || j >= values.length || flags[j] !== 0) continue;
    let v = values[j];
    if (period !== undefined) {
      const back = j - period;
      if (back < 0 || back === t || flags[back] !== 0) continue;
      v -= values[back];
    }
    if (!Number.isFinite(v)) continue;
    d.push(j - t);
    y.push(v);
  }
  return { d, y };
}

/** Least-squares a + b·d + c·d² through the points, at d = 0 (a); the mean when there are too few points or they are degenerate. */
function quadraticAtZero(d: readonly number[], y: readonly number[]): number {
  const average = mean(y);
  if (y.length < 4) return average;
  // Normal equations for (a, b, c), solved by Cramer's rule on the 3×3 system.
  const s = [0, 0, 0, 0, 0];
  const r = [0, 0, 0];
  for (let i = 0; i < d.length; i++) {
    let p = 1;
    for (let e = 0; e <= 4; e++) {
      s[e] += p;
      if (e <= 2) r[e] += p * y[i];
      p *= d[i];
    }
  }
  const det3 = (m: number[][]): number =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const a = [
    [s[0], s[1], s[2]],
    [s[1], s[2], s[3]],
    [s[2], s[3], s[4]],
  ];
  const det = det3(a);
  if (!(Math.abs(det) > 1e-9 * Math.max(1, s[4] * s[4]))) return average;
  const a0 = [
    [r[0], s[1], s[2]],
    [r[1], s[2], s[3]],
    [r[2], s[3], s[4]],
  ];
  return det3(a0) / det;
}

/**
 * The estimate of values[t] from its unflagged neighbours within ±k slots (t itself never read). With
 * a period, from the seasonal differences, falling back to the plain candidate where y[t − period] is
 * unknown or no difference is. NaN only when no neighbour at all is usable.
 */
export function interpolate(values: readonly number[], flags: readonly number[], t: number, candidate: FloorCandidate): number {
  const { method, k, period } = candidate;
  if (period !== undefined && candidate.profile) {
    const here = profileAt(values, flags, t, period, t);
    if (Number.isFinite(here)) {
      const d: number[] = [];
      const y: number[] = [];
      for (let j = t - k; j <= t + k; j++) {
        if (j === t || j < 0 || j >= values.length || flags[j] !== 0) continue;
        const there = profileAt(values, flags, j, period, t);
        if (!Number.isFinite(there) || !Number.isFinite(values[j])) continue;
        d.push(j - t);
        y.push(values[j] - there);
      }
      if (y.length > 0) return here + estimate(method, d, y);
    }
    return interpolate(values, flags, t, { method, k });
  }
  if (period !== undefined) {
    const back = t - period;
    if (back >= 0 && flags[back] === 0 && Number.isFinite(values[back])) {
      const { d, y } = neighbours(values, flags, t, k, period);
      if (y.length > 0) return values[back] + estimate(method, d, y);
    }
    return interpolate(values, flags, t, { method, k });
  }
  const { d, y } = neighbours(values, flags, t, k, undefined);
  return y.length > 0 ? estimate(method, d, y) : NaN;
}

function estimate(method: FloorMethod, d: readonly number[], y: readonly number[]): number {
  if (method === "median") return median(y);
  if (method === "mean") return mean(y);
  return quadraticAtZero(d, y);
}

/** Every candidate tried: median, mean and local quadratic over each window, plain and on the daily and weekly differences (where given). */
export function floorCandidates(periods: readonly number[] = []): FloorCandidate[] {
  const out: FloorCandidate[] = [];
  for (const period of [undefined, ...periods]) {
    for (const method of ["median", "mean", "quadratic"] as const) {
      for (const k of FLOOR_WINDOWS) {
        if (method === "quadratic" && k < 2) continue;
        out.push(period === undefined ? { method, k } : { method, k, period });
      }
    }
  }
  // Two-sided daily profiles (the first period given), level from the neighbours' median deviation.
  if (periods.length > 0) for (const k of FLOOR_WINDOWS) out.push({ method: "median", k, period: periods[0], profile: true });
  return out;
}

/**
 * The look-ahead floor over the given target slots: the lowest MASE (mean absolute error / scale)
 * among `candidates`, chosen on these targets.
 */
export function lookAheadFloor(values: readonly number[], flags: readonly number[], targets: readonly number[], scale: number, candidates: readonly FloorCandidate[]): FloorResult {
  if (targets.length === 0) return { mase: NaN, candidate: null, candidateMase: NaN, combinationMase: NaN, targets: 0, linearMase: NaN };
  const linear: FloorCandidate = { method: "mean", k: 1 };
  // estimates[c][i]: candidate c's estimate of target i (the linear interpolation where c has none).
  const fallback = targets.map((t) => interpolate(values, flags, t, linear));
  const estimates = candidates.map((c) => targets.map((t, i) => {
    const e = interpolate(values, flags, t, c);
    return Number.isFinite(e) ? e : fallback[i];
  }));
  const maeOfEstimates = (e: readonly number[]): number => targets.reduce((s, t, i) => s + (Number.isFinite(e[i]) ? Math.abs(values[t] - e[i]) : Math.abs(values[t])), 0) / targets.length;
  const ranked = candidates.map((c, j) => ({ c, j, mae: maeOfEstimates(estimates[j]) })).sort((a, b) => a.mae - b.mae);
  const best = ranked[0]?.c ?? null;
  const bestMae = ranked[0]?.mae ?? NaN;
  // The combination's columns: the best candidates (ranked on these targets) and the linear interpolation.
  // Fitted on differences from the best candidate (well conditioned: the raw estimates are nearly collinear).
  const anchor = ranked[0] ? estimates[ranked[0].j] : fallback;
  const columns = [...ranked.slice(1, COMBINED).map((r) => estimates[r.j]), fallback].map((e) => e.map((v, i) => v - anchor[i]));
  const combinationMae = crossFittedLad(
    targets.map((t, i) => values[t] - anchor[i]),
    columns,
  );
  return {
    mase: (Number.isFinite(combinationMae) ? Math.min(bestMae, combinationMae) : bestMae) / scale,
    candidate: best,
    candidateMase: bestMae / scale,
    combinationMase: combinationMae / scale,
    targets: targets.length,
    linearMase: maeOfEstimates(fallback) / scale,
  };
}

/**
 * Least absolute deviations by reweighted least squares (light ridge), its weight floor a tenth of the
 * mean absolute residual: on quantised loads most residuals of a good anchor are exactly 0, and a floor
 * relative to their median would hand those rows all the weight.
 */
function ladFit(d: Design): Float64Array {
  const weights = new Float64Array(d.rows).fill(1);
  let beta = ridge(d, weights, 1e-4);
  for (let it = 0; it < 30; it++) {
    let total = 0;
    const residuals = new Float64Array(d.rows);
    for (let r = 0; r < d.rows; r++) {
      residuals[r] = Math.abs(d.y[r] - dot(d.x, r * d.p, beta));
      total += residuals[r];
    }
    const floor = Math.max((0.1 * total) / Math.max(d.rows, 1), 1e-12);
    for (let r = 0; r < d.rows; r++) weights[r] = 1 / Math.max(residuals[r], floor);
    beta = ridge(d, weights, 1e-4);
  }
  return beta;
}

/** How many of the best single candidates the combination takes. */
const COMBINED = 12;

/** Fewest targets per half for the combination to be fitted (it is NaN below that). */
const MIN_HALF = 50;

/**
 * Mean absolute error of y predicted by an LAD fit on the columns (plus an intercept), fitted on one
 * interleaved half of the rows and scored on the other, both ways. NaN when there are too few rows.
 */
export function crossFittedLad(y: readonly number[], columns: readonly (readonly number[])[]): number {
  const n = y.length;
  if (Math.floor(n / 2) < MIN_HALF || columns.length === 0) return NaN;
  const p = columns.length + 1;
  const row = (i: number, out: Float64Array, o: number): void => {
    out[o] = 1;
    for (let c = 0; c < columns.length; c++) out[o + c + 1] = Number.isFinite(columns[c][i]) ? columns[c][i] : 0;
  };
  let sum = 0;
  for (const fold of [0, 1]) {
    const train = [...Array(n).keys()].filter((i) => i % 2 !== fold);
    const test = [...Array(n).keys()].filter((i) => i % 2 === fold);
    const d: Design = { x: new Float64Array(train.length * p), y: new Float64Array(train.length), rows: train.length, p };
    train.forEach((i, r) => {
      row(i, d.x, r * p);
      d.y[r] = y[i];
    });
    const beta = ladFit(d);
    const x = new Float64Array(p);
    for (const i of test) {
      row(i, x, 0);
      sum += Math.abs(y[i] - dot(x, 0, beta));
    }
  }
  return sum / n;
}

/** "median ±3", "quadratic ±6 on daily differences", … */
export function describeCandidate(c: FloorCandidate | null, perDay: number): string {
  if (!c) return "–";
  const lag = c.period === perDay ? "daily" : c.period === 7 * perDay ? "weekly" : `lag-${c.period}`;
  const on = c.period === undefined ? "" : c.profile ? ` against the two-sided ${lag} profile` : ` on ${lag} differences`;
  return `${c.method} ±${c.k}${on}`;
}
