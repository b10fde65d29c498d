// Stacked combination weights for the ensemble: per horizon, the change from the current load to the
// load k steps on is a linear combination of each member's forecast change,
//   y(t+k) − y(t) ≈ Σ_m w_m · (f_m(t+k) − y(t)),
// so whatever weight the members do not take stays on persistence, and the weights are free of the
// load's units and level. They are fitted by least absolute deviations (MASE is an absolute error:
// a combination that minimises squares chases spikes) on the last `window` resolved forecasts at that
// horizon, recent ones weighted more, with a ridge penalty that pulls them toward the prior weights
// (the inverse-error weights), so a short or uninformative record cannot swing them far.
// Only forecasts whose target slot has been observed enter the record: no look-ahead. Targets the
// sentinel flags as anomalous do enter it (interpolated ones do not): they are load that happened and
// that the forecasts are scored on, and least absolute deviations keeps one spike from dominating.
import { Design, dot, ridgeToward } from "../linear";

export interface StackingConfig {
  /** Resolved forecasts kept per horizon. */
  window: number;
  /** Resolved forecasts needed at a horizon before its stacked weights replace the prior. */
  minimum: number;
  /** Half-life, in forecasts, of the recency weighting. */
  halfLife: number;
  /** Ridge penalty toward the prior weights, relative to each member's sum of squared forecast changes. */
  lambda: number;
  /** Slots between refits (weights are reused in between). */
  refitEvery: number;
}

export const DEFAULT_STACKING: Omit<StackingConfig, "halfLife"> = { window: 1000, minimum: 200, lambda: 0.1, refitEvery: 12 };

const LAD_ITERATIONS = 4;

export interface StackerJSON {
  config: StackingConfig;
  members: number;
  /** Per horizon, resolved forecasts oldest first: the members' forecast changes, then the actual change. */
  records: number[][][];
  /** Per horizon, the stacked weights in force, or null while the prior applies. */
  weights: (number[] | null)[];
  sinceRefit: number;
}

export class Stacker {
  private constructor(
    readonly config: StackingConfig,
    private readonly members: number,
    private readonly records: number[][][],
    private readonly fitted: (number[] | null)[],
    private sinceRefit: number,
  ) {}

  static start(config: StackingConfig, members: number, horizon: number): Stacker {
    return new Stacker(
      config,
      members,
      Array.from({ length: horizon }, () => []),
      Array.from({ length: horizon }, () => null),
      0,
    );
  }

  static fromJSON(json: StackerJSON): Stacker {
    return new Stacker(json.config, json.members, json.records, json.weights, json.sinceRefit);
  }

  toJSON(): StackerJSON {
    return { config: this.config, members: this.members, records: this.records, weights: this.fitted, sinceRefit: this.sinceRefit };
  }

  /** Resolved forecasts at horizon `k` (1-based). */
  size(k: number): number {
    return this.records[k - 1]?.length ?? 0;
  }

  /** Records one resolved forecast at horizon `k`: the members' forecasts, the load at the origin and the actual. */
  resolve(k: number, forecasts: readonly number[], origin: number, actual: number): void {
    const record = this.records[k - 1];
    if (!record) return;
    record.push([...forecasts.map((f) => f - origin), actual - origin]);
    if (record.length > this.config.window) record.splice(0, record.length - this.config.window);
  }

  /** Counts a slot and refits every horizon when due; `prior(k)` gives the weights to shrink toward. */
  tick(prior: (k: number) => number[]): void {
    if (this.sinceRefit++ % this.config.refitEvery !== 0) return;
    for (let k = 1; k <= this.records.length; k++) this.fitted[k - 1] = this.size(k) >= this.config.minimum ? this.fit(k, prior(k)) : null;
  }

  /** The stacked weights at horizon `k` (1-based), or null while the prior applies. */
  weights(k: number): number[] | null {
    return this.fitted[Math.min(k, this.fitted.length) - 1] ?? null;
  }

  private fit(k: number, prior: readonly number[]): number[] {
    const record = this.records[k - 1];
    const p = this.members;
    const rows = record.length;
    const x = new Float64Array(rows * p);
    const y = new Float64Array(rows);
    const recency = new Float64Array(rows);
    const decay = Math.pow(2, -1 / this.config.halfLife);
    record.forEach((r, i) => {
      for (let m = 0; m < p; m++) x[i * p + m] = r[m];
      y[i] = r[p];
      recency[i] = Math.pow(decay, rows - 1 - i);
    });
    const design: Design = { x, y, rows, p };
    // Least absolute deviations by reweighting (as in linear.ts), starting from the prior.
    let beta: Float64Array = Float64Array.from(prior);
    const weights = new Float64Array(rows);
    const residuals = new Float64Array(rows);
    for (let it = 0; it < LAD_ITERATIONS; it++) {
      for (let r = 0; r < rows; r++) residuals[r] = Math.abs(y[r] - dot(x, r * p, beta));
      const floor = Math.max(0.1 * median(residuals), 1e-12);
      for (let r = 0; r < rows; r++) weights[r] = recency[r] / Math.max(residuals[r], floor);
      beta = ridgeToward(design, weights, this.config.lambda, prior);
    }
    return Array.from(beta, (b) => (Number.isFinite(b) ? b : 0));
  }
}

function median(xs: Float64Array): number {
  const sorted = Float64Array.from(xs).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
