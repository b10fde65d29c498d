// The cost model: what k shadows cost over the horizon against what a shortfall is expected to cost.
// P(shortfall) comes from the forecast's quantiles, read as a distribution: linear between the levels,
// Gaussian tails beyond the outermost ones (fitted to the median and the outer quantile).
import { QUANTILES, StepForecast } from "../forecast";
import { MEDIAN } from "./forecastSummary";
import type { CostCandidate, CostEstimate } from "./types";

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Standard normal P(Z > z). */
const upperTail = (z: number): number => 0.5 * erfc(z / Math.SQRT2);

/** z such that P(Z > z) = p, by bisection (called once per tail level). */
function zAbove(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (upperTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const LAST = QUANTILES.length - 1;
const Z_HIGH = zAbove(1 - QUANTILES[LAST]);
const Z_LOW = zAbove(1 - QUANTILES[0]);

/** P(load > c) for one forecast step, from its quantiles (aligned with QUANTILES). */
export function exceedance(quantiles: readonly number[], c: number): number {
  const median = quantiles[MEDIAN];
  if (c >= quantiles[LAST]) {
    const sigma = (quantiles[LAST] - median) / Z_HIGH;
    return sigma > 0 ? upperTail((c - median) / sigma) : 0;
  }
  if (c < quantiles[0]) {
    const sigma = (median - quantiles[0]) / -Z_LOW;
    return sigma > 0 ? upperTail((c - median) / sigma) : 1;
  }
  let i = 0;
  while (quantiles[i + 1] <= c) i++;
  const share = (c - quantiles[i]) / (quantiles[i + 1] - quantiles[i]);
  return 1 - (QUANTILES[i] + share * (QUANTILES[i + 1] - QUANTILES[i]));
}

export interface CostInputs {
  live: number;
  /** Requests/s one instance serves at 100 % CPU. */
  capacityPerInstance: number;
  cpuThreshold: number;
  /** The forecast steps inside the horizon; each stands for an equal share of it. */
  steps: readonly StepForecast[];
  horizonSec: number;
  pricePerHour: number;
  degradedCostPerMinute: number;
  downtimeCostPerMinute: number;
}

/** Expected cost of keeping k shadows: above the CPU threshold = degraded, above full capacity = down. */
export function costOf(k: number, x: CostInputs): CostCandidate {
  const n = x.live + k;
  const minutesPerStep = x.horizonSec / 60 / Math.max(1, x.steps.length);
  let degradedMinutes = 0;
  let downMinutes = 0;
  let pShortfall = 0;
  for (const s of x.steps) {
    const pDegraded = exceedance(s.quantiles, n * x.capacityPerInstance * x.cpuThreshold);
    const pDown = exceedance(s.quantiles, n * x.capacityPerInstance);
    degradedMinutes += (pDegraded - pDown) * minutesPerStep;
    downMinutes += pDown * minutesPerStep;
    pShortfall = Math.max(pShortfall, pDegraded);
  }
  const instanceCost = (k * x.pricePerHour * x.horizonSec) / 3600;
  const penalty = degradedMinutes * x.degradedCostPerMinute + downMinutes * x.downtimeCostPerMinute;
  return { shadows: k, instanceCost, degradedMinutes, downMinutes, pShortfall, penalty, total: instanceCost + penalty };
}

/** Prices every count in [min, max] and picks the cheapest expected total (the fewer shadows on a tie). */
export function estimateCost(x: CostInputs, min: number, max: number): CostEstimate {
  const candidates: CostCandidate[] = [];
  for (let k = min; k <= Math.max(min, max); k++) candidates.push(costOf(k, x));
  const chosen = candidates.reduce((best, c) => (c.total < best.total ? c : best));
  return { horizonSec: x.horizonSec, pricePerHour: x.pricePerHour, live: x.live, capacityPerInstance: x.capacityPerInstance, chosen, candidates };
}
