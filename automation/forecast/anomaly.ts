// Online anomaly detection on one-step forecast residuals: a robust z-score (median and a robust spread
// of recent normal residuals), so a spike cannot inflate the spread that judges the next spike.
import { insertSorted, quantileSorted, removeSorted } from "./stats";

export interface DetectorOptions {
  /** |z| beyond which a residual is anomalous. */
  threshold: number;
  /** Recent normal residuals the median and MAD come from. */
  window: number;
  /** Consecutive anomalies after which the shift is accepted as the new normal. */
  maxRun: number;
}

export interface DetectorJSON {
  options: DetectorOptions;
  recent: number[];
  run: number;
}

export interface Verdict {
  z: number;
  anomaly: boolean;
}

/** Residuals collected before the detector starts judging. */
const MIN_RESIDUALS = 30;
/**
 * Smallest spread the z-score divides by, in the residual space (log load): 1 %. Without it a series
 * the model predicts almost perfectly would flag rounding noise.
 */
const MIN_SPREAD = 0.01;

export class RobustZDetector {
  private readonly recent: number[];
  private readonly sorted: number[];
  private run: number;

  constructor(
    readonly options: DetectorOptions,
    recent: readonly number[] = [],
    run = 0,
  ) {
    this.recent = [...recent];
    this.sorted = [...recent].sort((a, b) => a - b);
    this.run = run;
  }

  static fromJSON(json: DetectorJSON): RobustZDetector {
    return new RobustZDetector(json.options, json.recent, json.run);
  }

  toJSON(): DetectorJSON {
    return { options: { ...this.options }, recent: [...this.recent], run: this.run };
  }

  /**
   * Robust spread of the recent normal residuals: 1.4826 × MAD (σ for a normal core), or the 95th
   * percentile of absolute deviations / 1.645 when the tails are heavier than normal (bimodal CPU,
   * bursty counts), so routine jumps do not pass for anomalies. Never below the floor.
   */
  spread(): number {
    if (this.sorted.length === 0) return MIN_SPREAD;
    const deviations = deviationsOfSorted(this.sorted, quantileSorted(this.sorted, 0.5));
    return Math.max(1.4826 * quantileSorted(deviations, 0.5), quantileSorted(deviations, 0.95) / 1.645, MIN_SPREAD);
  }

  /** Robust z-score of `residual` against the recent normal residuals (0 until enough are seen). */
  zScore(residual: number): number {
    if (this.sorted.length < MIN_RESIDUALS) return 0;
    return (residual - quantileSorted(this.sorted, 0.5)) / this.spread();
  }

  /** Judges one residual and learns from it; anomalies stay out of the reference window. */
  observe(residual: number): Verdict {
    const z = this.zScore(residual);
    const extreme = Math.abs(z) > this.options.threshold;
    this.run = extreme ? this.run + 1 : 0;
    const anomaly = extreme && this.run <= this.options.maxRun;
    if (!anomaly) this.remember(residual);
    return { z, anomaly };
  }

  private remember(residual: number): void {
    this.recent.push(residual);
    insertSorted(this.sorted, residual);
    if (this.recent.length > this.options.window) removeSorted(this.sorted, this.recent.shift() as number);
  }
}

/** Absolute deviations from `center`, ascending, in O(n): each side of the center is already ordered. */
function deviationsOfSorted(sorted: readonly number[], center: number): number[] {
  let right = sorted.findIndex((x) => x >= center);
  if (right < 0) right = sorted.length;
  let left = right - 1;
  const deviations: number[] = [];
  while (left >= 0 || right < sorted.length) {
    const dl = left >= 0 ? center - sorted[left] : Infinity;
    const dr = right < sorted.length ? sorted[right] - center : Infinity;
    if (dl <= dr) {
      deviations.push(dl);
      left--;
    } else {
      deviations.push(dr);
      right++;
    }
  }
  return deviations;
}
