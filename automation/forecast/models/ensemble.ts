// The ensemble: members weighted per horizon by their recent out-of-sample mean squared error,
// w ∝ MSE^-power, so a member that gets worse loses weight on its own. Once enough forecasts at a
// horizon have been resolved, stacked weights (stacking.ts: least absolute deviations on the record
// of resolved forecasts, shrunk toward those inverse-error weights) take over at that horizon.
// On top, a selector (selection.ts) hands a horizon to one member alone while that member's recent
// absolute error is clearly below the combination's. A member that cannot forecast this tick (a
// diverged LSTM) is left out and the reason noted; the others carry on with the inverse-error weights.
import { IMPUTED, Series } from "../series";
import { MemberKind } from "../types";
import { ModelFailure, PointModel } from "./model";
import { Selector, SelectorJSON } from "./selection";
import { Stacker, StackerJSON } from "./stacking";

export interface Member {
  kind: MemberKind;
  model: PointModel;
}

interface Pending {
  origin: number;
  /** Per member, its forecasts for origin+1..origin+horizon, or null if it failed. */
  forecasts: (number[] | null)[];
  /** The combination's forecasts before selection; null when no member could forecast (absent before selection existed). */
  combined?: number[] | null;
}

export interface EnsembleJSON {
  kind: "ensemble";
  horizon: number;
  halfLifeSteps: number;
  power: number;
  members: { kind: MemberKind; model: unknown }[];
  /** Per member and horizon: exponentially weighted mean squared error (null until seen). */
  mse: (number | null)[][];
  pending: Pending[];
  /** Stacked weights and their record; null for inverse-error weights only (absent before stacking existed). */
  stacking?: StackerJSON | null;
  /** The selector's error record; null or absent: no selection (ensembles saved before it existed). */
  selection?: SelectorJSON | null;
}

export class Ensemble implements PointModel {
  /** Why members were left out at the latest origin. */
  notes: string[] = [];

  private constructor(
    readonly members: Member[],
    private readonly horizon: number,
    private readonly halfLifeSteps: number,
    /** Weights ∝ MSE^-power: above 1, a clearly better member dominates sooner. */
    private readonly power: number,
    private readonly mse: number[][],
    private readonly pending: Pending[],
    private readonly stacker: Stacker | null,
    private readonly selector: Selector | null,
  ) {}

  /** Starts with equal weights; errors accumulate as outcomes arrive. */
  static start(members: Member[], series: Series, horizon: number, halfLifeSteps: number, power: number, stacker: Stacker | null, selector: Selector | null): Ensemble {
    const ensemble = new Ensemble(members, horizon, halfLifeSteps, power, members.map(() => new Array<number>(horizon).fill(NaN)), [], stacker, selector);
    ensemble.pending.push(ensemble.issue(series));
    return ensemble;
  }

  static fromJSON(json: EnsembleJSON, restore: (kind: MemberKind, model: unknown) => PointModel): Ensemble {
    const members = json.members.map((m) => ({ kind: m.kind, model: restore(m.kind, m.model) }));
    const mse = json.mse.map((row) => row.map((v) => (v === null ? NaN : v)));
    return new Ensemble(
      members,
      json.horizon,
      json.halfLifeSteps,
      json.power,
      mse,
      json.pending,
      json.stacking ? Stacker.fromJSON(json.stacking) : null,
      json.selection ? Selector.fromJSON(json.selection) : null,
    );
  }

  get description(): string {
    const stacked = this.stacker ? `; stacked by least absolute deviations once ${this.stacker.config.minimum} forecasts per horizon are resolved` : "";
    const selected = this.selector ? `; a member alone where its recent absolute error is under ${this.selector.config.margin} × the combination's` : "";
    return `ensemble of ${this.members.map((m) => m.kind).join(", ")} (weights ∝ recent MSE^-${this.power} per horizon${stacked}${selected})`;
  }

  /**
   * Weights at horizon `k` (1-based) among the members that could forecast at the latest origin. With
   * stacked weights, persistence (naive) carries whatever the others leave of 1, and a weight may be
   * negative; without a naive member that remainder is not shown. A member selected alone has weight 1.
   */
  currentWeights(k: number): number[] {
    const latest = this.pending[this.pending.length - 1];
    const available = latest ? latest.forecasts.map((f) => f !== null) : this.members.map(() => true);
    const selected = this.selector?.choice(k, available) ?? null;
    if (selected !== null) return this.members.map((_, m) => (m === selected ? 1 : 0));
    const stacked = this.stackedWeights(k, available);
    if (!stacked) return this.weights(k, available);
    const naive = this.members.findIndex((m) => m.kind === "naive");
    if (naive < 0) return stacked;
    return stacked.map((w, m) => (m === naive ? 1 - stacked.reduce((sum, x, j) => (j === naive ? sum : sum + x), 0) : w));
  }

  /** Stacked weights at horizon `k`, when they are in force and every member could forecast. */
  private stackedWeights(k: number, available: readonly boolean[]): number[] | null {
    if (!this.stacker || !available.every(Boolean)) return null;
    return this.stacker.weights(k);
  }

  /** Weights per member at horizon `k` (1-based), among `available` members. */
  weights(k: number, available: readonly boolean[] = this.members.map(() => true)): number[] {
    const h = Math.min(k, this.horizon) - 1;
    const known = this.members.every((_, m) => !available[m] || Number.isFinite(this.mse[m][h]));
    const best = Math.min(...this.members.map((_, m) => (available[m] && known ? this.mse[m][h] : Infinity)));
    // Relative to the best member, so tiny or huge error scales cannot overflow the power.
    const raw = this.members.map((_, m) => (!available[m] ? 0 : known ? (Math.max(best, 1e-300) / Math.max(this.mse[m][h], 1e-300)) ** this.power : 1));
    const total = raw.reduce((a, b) => a + b, 0);
    return raw.map((w) => (total > 0 ? w / total : 0));
  }

  forecast(series: Series, h: number): number[] {
    const latest = this.pending[this.pending.length - 1];
    const issued = h <= this.horizon && latest?.origin === series.end - 1 ? latest : this.issue(series, h);
    const { forecasts } = issued;
    const available = forecasts.map((f) => f !== null);
    if (!available.some(Boolean)) throw new ModelFailure(`no ensemble member could forecast: ${this.notes.join("; ")}`);
    const combined = issued.combined && issued.combined.length >= h ? issued.combined : this.combine(forecasts, series.value(series.end - 1), h);
    return combined.slice(0, h).map((value, i) => {
      const selected = this.selector?.choice(i + 1, available) ?? null;
      return selected === null ? value : (forecasts[selected] as number[])[i];
    });
  }

  /** The weighted combination of the members' forecasts (stacked where in force) for steps 1..h. */
  private combine(forecasts: readonly (number[] | null)[], current: number, h: number): number[] {
    const available = forecasts.map((f) => f !== null);
    const out: number[] = [];
    for (let k = 1; k <= h; k++) {
      const stacked = this.stackedWeights(k, available);
      if (stacked) {
        out.push(Math.max(0, forecasts.reduce((sum, f, m) => sum + stacked[m] * ((f as number[])[k - 1] - current), current)));
        continue;
      }
      const w = this.weights(k, available);
      let value = 0;
      forecasts.forEach((f, m) => {
        if (f !== null) value += w[m] * f[k - 1];
      });
      out.push(value);
    }
    return out;
  }

  observe(series: Series): void {
    const i = series.end - 1;
    const y = series.value(i);
    const decay = 1 - Math.pow(2, -1 / this.halfLifeSteps);
    // The inverse-MSE weights learn from clean targets only; the stacked ones from every observed
    // (not interpolated) target, spikes included (see stacking.ts).
    const clean = series.flag(i) === 0;
    if ((series.flag(i) & IMPUTED) === 0) {
      for (const p of this.pending) {
        const h = i - p.origin;
        if (h < 1 || h > this.horizon) continue;
        if (clean) {
          p.forecasts.forEach((f, m) => {
            if (f === null) return;
            const e2 = (y - f[h - 1]) ** 2;
            const prev = this.mse[m][h - 1];
            this.mse[m][h - 1] = Number.isFinite(prev) ? prev + decay * (e2 - prev) : e2;
          });
        }
        const forecasts = p.forecasts;
        if (this.stacker && forecasts.every((f): f is number[] => f !== null)) this.stacker.resolve(h, forecasts.map((f) => f[h - 1]), series.value(p.origin), y);
        if (this.selector && p.combined) this.selector.resolve(h, p.combined[h - 1], forecasts.map((f) => (f === null ? NaN : f[h - 1])), y);
      }
    }
    this.stacker?.tick((k) => this.weights(k));
    while (this.pending.length > 0 && i - this.pending[0].origin >= this.horizon) this.pending.shift();
    for (const m of this.members) m.model.observe(series);
    this.pending.push(this.issue(series));
  }

  toJSON(): EnsembleJSON {
    return {
      kind: "ensemble",
      horizon: this.horizon,
      halfLifeSteps: this.halfLifeSteps,
      power: this.power,
      members: this.members.map((m) => ({ kind: m.kind, model: m.model.toJSON() })),
      mse: this.mse.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
      pending: this.pending,
      stacking: this.stacker?.toJSON() ?? null,
      selection: this.selector?.toJSON() ?? null,
    };
  }

  private issue(series: Series, h = this.horizon): Pending {
    this.notes = [];
    const forecasts = this.members.map((m) => {
      try {
        return m.model.forecast(series, h);
      } catch (error) {
        if (!(error instanceof ModelFailure)) throw error;
        this.notes.push(`${m.kind} dropped this tick: ${error.message}`);
        return null;
      }
    });
    const combined = forecasts.some((f) => f !== null) ? this.combine(forecasts, series.value(series.end - 1), h) : null;
    return { origin: series.end - 1, forecasts, combined };
  }
}
