// Calibration from out-of-sample residuals (split conformal, per horizon, over a sliding window of
// recent forecast origins). Residuals live in log space (log(load + offset)), so intervals widen with
// the load and never go below zero. Whole residual paths are kept, not just per-horizon samples, so the
// probability of a rise *anywhere* within the next steps respects how errors at successive steps move
// together. On top, adaptive conformal inference (Gibbs & Candès 2021) nudges each quantile's level
// after every outcome (up when outcomes fell below it too rarely, down when too often), so coverage
// holds over time even when the residual distribution drifts.
import { QUANTILES } from "./types";
import { insertSorted, quantileSorted, removeSorted } from "./stats";

export interface CalibratorJSON {
  horizon: number;
  window: number;
  offset: number;
  fallbackSpread: number;
  /** Completed residual paths, oldest first; null marks an interpolated outcome. */
  paths: (number | null)[][];
  /** Origins still waiting for outcomes: log forecasts and the residuals seen so far. */
  open: { forecast: number[]; residuals: (number | null)[] }[];
  /** Per horizon, the working level of each of QUANTILES. */
  levels: number[][];
}

/**
 * Step size of the adaptive level updates of the interval quantiles. Four times the median's: the
 * ensemble now switches between a combination and single members, so its residual spread drifts
 * more, and on the tuning series 0.005 left 2 of 19 coverages outside 77–83 % (76.1 %, 83.5 %) where
 * 0.02 keeps all 19 in 77.5–82.6 %.
 */
const ADAPTATION = 0.02;
/**
 * The median's level moves slowly: it sets the point forecast that MASE scores, and a faster step
 * made it chase noise (tuning series, occupancy_6005 at 30 min: MASE 1.120 → 1.143 at 0.02).
 */
const MEDIAN_ADAPTATION = 0.005;

/** Completed paths below which the calibration is too thin to trust and a Gaussian stands in. */
export const MIN_PATHS = 30;

const toNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
const fromNull = (x: number | null): number => (x === null ? NaN : x);

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export class Calibrator {
  private readonly sorted: number[][];

  constructor(
    readonly horizon: number,
    private readonly window: number,
    /** Added before the log so zero loads are fine; about a tenth of the typical load. */
    readonly offset: number,
    /** One-step residual spread for the thin-calibration fallback. */
    private readonly fallbackSpread: number,
    private readonly paths: number[][] = [],
    private readonly open: { forecast: number[]; residuals: number[] }[] = [],
    private readonly levels: number[][] = Array.from({ length: horizon }, () => [...QUANTILES]),
  ) {
    this.sorted = Array.from({ length: horizon }, (_, h) =>
      paths
        .map((p) => p[h])
        .filter(Number.isFinite)
        .sort((x, y) => x - y),
    );
  }

  static fromJSON(json: CalibratorJSON): Calibrator {
    return new Calibrator(
      json.horizon,
      json.window,
      json.offset,
      json.fallbackSpread,
      json.paths.map((p) => p.map(fromNull)),
      json.open.map((o) => ({ forecast: o.forecast, residuals: o.residuals.map(fromNull) })),
      json.levels,
    );
  }

  toJSON(): CalibratorJSON {
    return {
      horizon: this.horizon,
      window: this.window,
      offset: this.offset,
      fallbackSpread: this.fallbackSpread,
      paths: this.paths.map((p) => p.map(toNull)),
      open: this.open.map((o) => ({ forecast: o.forecast, residuals: o.residuals.map(toNull) })),
      levels: this.levels.map((l) => [...l]),
    };
  }

  /** Completed residual paths available. */
  get size(): number {
    return this.paths.length;
  }

  get thin(): boolean {
    return this.paths.length < MIN_PATHS;
  }

  toLog(y: number): number {
    return Math.log(Math.max(y, 0) + this.offset);
  }

  fromLog(z: number): number {
    return Math.max(Math.exp(z) - this.offset, 0);
  }

  /** A forecast issued at the current origin, for steps 1..horizon. */
  record(forecast: readonly number[]): void {
    this.open.push({ forecast: forecast.slice(0, this.horizon).map((f) => this.toLog(f)), residuals: [] });
  }

  /** The outcome at the next slot; `real` false (an interpolated value) leaves a hole in the paths. */
  observe(y: number, real: boolean): void {
    const z = this.toLog(y);
    for (const o of this.open) {
      const h = o.residuals.length;
      const residual = real ? z - o.forecast[h] : NaN;
      if (real && this.sorted[h].length >= MIN_PATHS) this.adapt(h, residual);
      o.residuals.push(residual);
    }
    while (this.open.length > 0 && this.open[0].residuals.length >= this.horizon) {
      const path = (this.open.shift() as { residuals: number[] }).residuals;
      this.paths.push(path);
      path.forEach((e, h) => Number.isFinite(e) && insertSorted(this.sorted[h], e));
      if (this.paths.length > this.window) {
        const old = this.paths.shift() as number[];
        old.forEach((e, h) => Number.isFinite(e) && removeSorted(this.sorted[h], e));
      }
    }
  }

  /** Moves horizon h's working levels toward the frequencies they should have (h 0-based). */
  private adapt(h: number, residual: number): void {
    this.levels[h] = this.levels[h].map((level, j) => {
      const below = residual <= quantileSorted(this.sorted[h], level) ? 1 : 0;
      const step = QUANTILES[j] === 0.5 ? MEDIAN_ADAPTATION : ADAPTATION;
      return Math.min(Math.max(level + step * (QUANTILES[j] - below), 0), 1);
    });
  }

  /** Residual quantile for QUANTILES[j] at step k (1-based); beyond the calibrated horizon it grows like √k. */
  private residualQuantile(k: number, j: number): number {
    const h = Math.min(k, this.horizon);
    if (this.sorted[h - 1].length < MIN_PATHS) return this.fallbackSpread * Math.sqrt(k) * normalQuantile(QUANTILES[j]);
    return Math.sqrt(k / h) * quantileSorted(this.sorted[h - 1], this.levels[h - 1][j]);
  }

  /** QUANTILES at each step of `point` (raw units), one row per step, non-decreasing. */
  quantiles(point: readonly number[]): number[][] {
    return point.map((f, i) => {
      const center = this.toLog(f);
      let previous = 0;
      return QUANTILES.map((_, j) => {
        previous = Math.max(previous, this.fromLog(center + this.residualQuantile(i + 1, j)));
        return previous;
      });
    });
  }

  /** Completed residual paths (log space, oldest first; NaN marks an interpolated outcome). */
  get completedPaths(): readonly (readonly number[])[] {
    return this.paths;
  }

  /** Origins still waiting for outcomes, oldest first: log forecasts and the residuals seen so far. */
  get openOrigins(): readonly { readonly forecast: readonly number[]; readonly residuals: readonly number[] }[] {
    return this.open;
  }

  /**
   * P(max over steps 1..within ≥ threshold): the share of recent residual paths that, laid over the
   * current point forecast, cross the threshold somewhere.
   */
  probabilityAbove(point: readonly number[], threshold: number, within: number): number {
    if (threshold <= 0) return 1;
    return this.crossingShare(
      point.slice(0, within).map((f) => this.toLog(f)),
      this.toLog(threshold),
      this.paths,
    );
  }

  /**
   * The share of `paths` that, laid over the log point forecast `centers` (steps 1..centers.length),
   * reach the log threshold `limit` somewhere. Below MIN_PATHS paths, a Gaussian stands in. Also used
   * to replay the probabilities of past origins from the paths that were complete at the time.
   */
  crossingShare(centers: readonly number[], limit: number, paths: readonly (readonly number[])[]): number {
    if (paths.length < MIN_PATHS) {
      // Too few paths: the largest single-step Gaussian probability, a lower bound on the maximum's.
      return Math.max(...centers.map((c, i) => 1 - normalCdf((limit - c) / (this.fallbackSpread * Math.sqrt(i + 1)))));
    }
    let hits = 0;
    let usable = 0;
    for (const path of paths) {
      let complete = true;
      let crossed = false;
      for (let k = 1; k <= centers.length; k++) {
        const h = Math.min(k, this.horizon);
        const e = path[h - 1] * Math.sqrt(k / h);
        if (!Number.isFinite(e)) {
          complete = false;
          break;
        }
        if (centers[k - 1] + e >= limit) crossed = true;
      }
      if (!complete) continue;
      usable++;
      if (crossed) hits++;
    }
    return usable > 0 ? hits / usable : 0;
  }
}
