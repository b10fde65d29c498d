// Forecast scores: point error scaled like MASE, quantile (pinball) losses, interval coverage, and
// probability scores for the rise event (Brier, skill over climatology, precision/recall at 0.8).

/** One forecast origin at one horizon, with what happened. */
export interface Outcome {
  actual: number;
  /** Quantiles aligned with QUANTILES = [0.05, 0.1, 0.5, 0.8, 0.9, 0.95]. */
  quantiles: number[];
  /** Forecast P(rise ≥ r within the horizon). */
  probability: number;
  /** The same before the forecaster's online recalibration (the conformal probability), when known. */
  rawProbability?: number;
  /** Whether the rise happened. */
  rose: boolean;
}

export interface Scores {
  origins: number;
  mase: number;
  pinball50: number;
  pinball80: number;
  pinball95: number;
  coverage80: number;
  brier: number;
  /** 1 − Brier / Brier of the constant base rate; null when the event never or always happened. */
  brierSkill: number | null;
  /** The same skill for the raw probabilities; null when not given. */
  brierSkillRaw: number | null;
  baseRate: number;
  /** Among origins with P ≥ threshold, the share where the rise happened; null if none. */
  precision: number | null;
  /** Among rises, the share forecast with P ≥ threshold; null if no rise. */
  recall: number | null;
}

export function pinball(actual: number, q: number, level: number): number {
  const d = actual - q;
  return d >= 0 ? level * d : (level - 1) * d;
}

/** Mean |y_t − y_{t−lag}|: the in-sample seasonal-naive error that scales MASE and the pinball losses. */
export function naiveScale(values: readonly number[], lag: number): number {
  let sum = 0;
  let count = 0;
  for (let i = lag; i < values.length; i++) {
    const d = Math.abs(values[i] - values[i - lag]);
    if (!Number.isFinite(d)) continue;
    sum += d;
    count++;
  }
  return count > 0 && sum > 0 ? sum / count : 1;
}

const Q10 = 1;
const Q50 = 2;
const Q80 = 3;
const Q90 = 4;
const Q95 = 5;

export function score(outcomes: readonly Outcome[], scale: number, threshold = 0.8): Scores {
  const n = outcomes.length;
  const avg = (f: (o: Outcome) => number): number => (n === 0 ? NaN : outcomes.reduce((s, o) => s + f(o), 0) / n);
  const baseRate = avg((o) => (o.rose ? 1 : 0));
  const brier = avg((o) => (o.probability - (o.rose ? 1 : 0)) ** 2);
  const hasRaw = n > 0 && outcomes.every((o) => o.rawProbability !== undefined);
  const brierRaw = hasRaw ? avg((o) => ((o.rawProbability as number) - (o.rose ? 1 : 0)) ** 2) : NaN;
  const climatology = baseRate * (1 - baseRate);
  const alarms = outcomes.filter((o) => o.probability >= threshold);
  const rises = outcomes.filter((o) => o.rose);
  return {
    origins: n,
    mase: avg((o) => Math.abs(o.actual - o.quantiles[Q50])) / scale,
    pinball50: avg((o) => pinball(o.actual, o.quantiles[Q50], 0.5)) / scale,
    pinball80: avg((o) => pinball(o.actual, o.quantiles[Q80], 0.8)) / scale,
    pinball95: avg((o) => pinball(o.actual, o.quantiles[Q95], 0.95)) / scale,
    coverage80: avg((o) => (o.actual >= o.quantiles[Q10] && o.actual <= o.quantiles[Q90] ? 1 : 0)),
    brier,
    brierSkill: climatology > 0 ? 1 - brier / climatology : null,
    brierSkillRaw: climatology > 0 && hasRaw ? 1 - brierRaw / climatology : null,
    baseRate,
    precision: alarms.length > 0 ? alarms.filter((o) => o.rose).length / alarms.length : null,
    recall: rises.length > 0 ? rises.filter((o) => o.probability >= threshold).length / rises.length : null,
  };
}
