// Turning a forecaster's output into the ServiceForecast data decide() reads. The runner and the
// simulator both call this, so "upper" and "peak" mean the same thing in both.
import { QUANTILES, StepForecast } from "../forecast";
import type { Policy } from "./policy";
import type { ServiceForecast } from "./types";

export const MEDIAN = QUANTILES.indexOf(0.5);

/**
 * The forecast steps that fall inside (now, now + horizon]. When the horizon is shorter than one step,
 * the next step stands for it: it is the nearest thing known about the horizon.
 */
export function stepsWithin(steps: readonly StepForecast[], now: number, horizonSec: number): StepForecast[] {
  const future = steps.filter((s) => s.t > now);
  const inside = future.filter((s) => s.t <= now + horizonSec * 1000);
  return inside.length > 0 ? inside : future.slice(0, 1);
}

export interface ForecastInput {
  at: number;
  currentLoad: number;
  stepSec: number;
  steps: StepForecast[];
  /** From Forecaster.probabilityOfRise(policy.riseThreshold, ceil(policy.horizonSec / stepSec)). */
  pRise: number;
}

export function summariseForecast(input: ForecastInput, policy: Policy): ServiceForecast {
  const upperIndex = QUANTILES.indexOf(policy.upperQuantile as (typeof QUANTILES)[number]);
  const horizon = stepsWithin(input.steps, input.at, policy.horizonSec);
  let upper = input.currentLoad;
  let best: StepForecast | null = null;
  for (const s of horizon) {
    upper = Math.max(upper, s.quantiles[upperIndex]);
    if (best === null || s.quantiles[MEDIAN] > best.quantiles[MEDIAN]) best = s;
  }
  const expected = Math.max(input.currentLoad, best?.quantiles[MEDIAN] ?? 0);
  const peak = best !== null && best.quantiles[MEDIAN] >= (1 + policy.riseThreshold) * input.currentLoad ? { at: best.t, load: best.quantiles[MEDIAN] } : null;
  return { ...input, expected, upper, peak };
}

/** Steps the forecaster must predict to cover the policy's horizon. */
export function horizonSteps(policy: Policy, stepSec: number): number {
  return Math.max(1, Math.ceil(policy.horizonSec / stepSec));
}
