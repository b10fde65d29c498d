// The benchmark's settings in one place: the virtual cluster, the target every strategy shares, the
// policy understudy runs with (and the grid it was tuned on), the forecaster refits and the traces —
// the tuning subset and the evaluation subset, which never overlap.
import { DEFAULT_POLICY, Policy, parsePolicy } from "../../automation/decide";
import { DEFAULT_HPA, DEFAULT_SIM_PARAMS, HpaOptions, PROMOTION, SimParams } from "../../automation/simulate";
import { NAB_SERIES, SeriesSpec } from "../forecast/series";

/** The cluster as the local platform implements it: a promotion is warm and in place, a demotion restarts cold. */
export const PARAMS: SimParams = { ...DEFAULT_SIM_PARAMS, promotion: PROMOTION.local };

/** The cold start decides the outcome, so every result is given at each of these (PARAMS' is the headline). */
export const COLD_STARTS = [60, 120, 240];

/** The utilisation every strategy sizes live instances for (HPA target, PHPA, understudy, oracle). */
export const TARGET_UTILISATION = 0.7;

export const HPA: HpaOptions = { ...DEFAULT_HPA, targetUtilisation: TARGET_UTILISATION, maxReplicas: PARAMS.maxInstances };

/** The runner's default tick (`runner run --interval 30`): understudy decides this often. */
export const RUNNER_INTERVAL_SEC = 30;

/**
 * What the cluster dictates, not tuned: a horizon that covers the longest cold start plus warm-up,
 * the CPU threshold at the SLO utilisation, the shared target utilisation.
 */
export const FIXED_OVERRIDES = { horizonSec: 600, cpuThreshold: PARAMS.sloUtilisation, targetUtilisation: TARGET_UTILISATION };

/**
 * Tuned on TUNING_SERIES only (`npm run bench:simulate -- --tune`, bench/results/simulate-tuning.md):
 * the grid point with the lowest mean cost with downtime over the oracle's cost on the tuning traces,
 * at the headline cold start on the local platform. Measured 2026-12-06: score 9.86 (next 10.50); the
 * overrides used before issue 12 (floor 0.5, window 300 s), tuned on the evaluation traces, are not in
 * the grid's top half here. The consolidation values are decide()'s defaults again.
 */
export const TUNED_OVERRIDES = { consolidation: { floor: 0.3, windowSec: 900 }, stabilisationSec: 300, upperQuantile: 0.95 };

export type TunedOverrides = typeof TUNED_OVERRIDES;

/** The grid --tune searches (every combination). */
export const TUNING_GRID = {
  consolidationFloor: [0.3, 0.5],
  consolidationWindowSec: [300, 900],
  stabilisationSec: [300, 900],
  upperQuantile: [0.9, 0.95],
};

export function benchPolicy(
  tuned: TunedOverrides = TUNED_OVERRIDES,
  degradedCostPerMinute = PARAMS.degradedCostPerMinute,
  downtimeCostPerMinute = PARAMS.downtimeCostPerMinute,
): Policy {
  return parsePolicy({
    ...FIXED_OVERRIDES,
    ...tuned,
    cost: { ...DEFAULT_POLICY.cost, instancePricePerHour: { default: PARAMS.pricePerHour }, degradedCostPerMinute, downtimeCostPerMinute },
  });
}

/** The cost model's price of a degraded minute (a down minute at 10×): the cost/violation trade-off it walks. */
export const SWEEP = [0.02, 0.1, 1, 5];

/**
 * Forecaster refits on the last three weeks, weekly but at most three times per replay (an ensemble
 * fit trains an LSTM: seconds each); update() with every point in between.
 */
export const REFIT = { minRefitDays: 7, maxRefits: 3, fitWindowSec: 21 * 86_400 };

export const refitEverySec = (replayDays: number): number => Math.max(REFIT.minRefitDays, replayDays / REFIT.maxRefits) * 86_400;

const spec = (key: string): SeriesSpec => NAB_SERIES.find((s) => s.key === key) ?? { key };

/**
 * Load-like NAB traces (request counts, demand, volumes, occupancy, CPU), with the forecast bench's
 * calendars. The evaluation subset is the six traces the benchmark has always reported (so the numbers
 * before and after issue 12 compare); the tuning subset is other traces of the same kinds.
 */
export const EVALUATION_SERIES: SeriesSpec[] = [
  "realKnownCause/nyc_taxi.csv",
  "realAWSCloudwatch/elb_request_count_8c0756.csv",
  "realTweets/Twitter_volume_AMZN.csv",
  "realTraffic/occupancy_t4013.csv",
  "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv",
  "realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv",
].map(spec);

export const TUNING_SERIES: SeriesSpec[] = [
  "realTweets/Twitter_volume_GOOG.csv",
  "realTraffic/occupancy_6005.csv",
  "realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv",
  "realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv",
].map(spec);
