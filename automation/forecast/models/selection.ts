// Selection on top of the ensemble's combination: per horizon, the recent mean absolute error of the
// combined forecast and of each member is tracked (exponentially weighted, every observed target,
// spikes included: they are what MASE scores), and where one member has clearly done better than
// the combination lately (its error under `margin` × the combination's), that member's forecast is
// used alone. A combination fitted on a window of outcomes lags when one member becomes much better
// (a robust member on a spiky stretch); a hard switch follows at once. The margin keeps the switch
// from flickering between near-equal candidates. Learns from resolved forecasts only: no look-ahead.

export interface SelectionConfig {
  /** A member replaces the combination when its recent error is under margin × the combination's. */
  margin: number;
  /** Resolved forecasts at a horizon before any member can be selected there. */
  minimum: number;
}

export const DEFAULT_SELECTION: SelectionConfig = { margin: 0.97, minimum: 50 };

export interface SelectorJSON {
  config: SelectionConfig;
  halfLife: number;
  /** Per candidate (the combination first, then each member) and horizon: EW mean absolute error, null until seen. */
  mae: (number | null)[][];
  /** Per horizon, resolved forecasts of the combination. */
  counts: number[];
}

export class Selector {
  private constructor(
    readonly config: SelectionConfig,
    private readonly halfLife: number,
    private readonly mae: number[][],
    private readonly counts: number[],
  ) {}

  static start(config: SelectionConfig, halfLife: number, members: number, horizon: number): Selector {
    return new Selector(
      config,
      halfLife,
      Array.from({ length: members + 1 }, () => new Array<number>(horizon).fill(NaN)),
      new Array<number>(horizon).fill(0),
    );
  }

  static fromJSON(json: SelectorJSON): Selector {
    return new Selector(
      json.config,
      json.halfLife,
      json.mae.map((row) => row.map((v) => (v === null ? NaN : v))),
      json.counts,
    );
  }

  toJSON(): SelectorJSON {
    return { config: this.config, halfLife: this.halfLife, mae: this.mae.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))), counts: this.counts };
  }

  /**
   * Records the outcome `actual` of forecasts at horizon `k` (1-based): the combination's, then each
   * member's (NaN for a member that could not forecast).
   */
  resolve(k: number, combined: number, members: readonly number[], actual: number): void {
    const h = k - 1;
    if (h >= this.counts.length || !Number.isFinite(combined)) return;
    const decay = 1 - Math.pow(2, -1 / this.halfLife);
    [combined, ...members].forEach((f, c) => {
      if (!Number.isFinite(f)) return;
      const e = Math.abs(actual - f);
      const previous = this.mae[c][h];
      this.mae[c][h] = Number.isFinite(previous) ? previous + decay * (e - previous) : e;
    });
    this.counts[h]++;
  }

  /** The member to use alone at horizon `k` (1-based) among `available` ones, or null for the combination. */
  choice(k: number, available: readonly boolean[]): number | null {
    const h = Math.min(k, this.counts.length) - 1;
    const combined = this.mae[0][h];
    if (this.counts[h] < this.config.minimum || !Number.isFinite(combined)) return null;
    let best: number | null = null;
    let bestError = this.config.margin * combined;
    available.forEach((ok, m) => {
      const e = this.mae[m + 1][h];
      if (ok && Number.isFinite(e) && e < bestError) {
        best = m;
        bestError = e;
      }
    });
    return best;
  }
}
