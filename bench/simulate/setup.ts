// The benchmark's settings in one place: the virtual cluster, the policy understudy runs with, the
// strategies' options, the forecaster refits and the traces.
import { DEFAULT_POLICY, Policy, parsePolicy } from "../../automation/decide";
import { DEFAULT_HPA, DEFAULT_SIM_PARAMS, HpaOptions, SimParams } from "../../automation/simulate";
import { NAB_SERIES, SeriesSpec } from "../forecast/series";

export const PARAMS: SimParams = DEFAULT_SIM_PARAMS;
export const HPA: HpaOptions = DEFAULT_HPA;

/**
 * The policy understudy runs with: the defaults, except where the virtual cluster dictates them — a
 * horizon that covers a cold start plus warm-up, the CPU threshold at the SLO utilisation, the
 * cluster's prices — and where warm shadows change the trade-off: live instances run hotter (70 %
 * instead of 60 %: a promotion takes one tick) and consolidation, a reversible demotion to a warm
 * shadow, acts after 5 minutes below 50 % instead of 15 below 30 %. (Measured on the 10-day traces:
 * 80 % doubled the violation ratio; a 20-minute stabilisation window cost more and saved nothing.)
 */
export const POLICY_OVERRIDES = {
  horizonSec: 600,
  cpuThreshold: PARAMS.sloUtilisation,
  targetUtilisation: 0.7,
  consolidation: { floor: 0.5, windowSec: 300 },
};

export function benchPolicy(degradedCostPerMinute = PARAMS.degradedCostPerMinute, downtimeCostPerMinute = PARAMS.downtimeCostPerMinute): Policy {
  return parsePolicy({
    ...POLICY_OVERRIDES,
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

const KEYS = [
  "realKnownCause/nyc_taxi.csv",
  "realAWSCloudwatch/elb_request_count_8c0756.csv",
  "realTweets/Twitter_volume_AMZN.csv",
  "realTraffic/occupancy_t4013.csv",
  "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv",
  "realAWSCloudwatch/rds_cpu_utilization_cc0c53.csv",
];

/** Load-like NAB traces (request counts, demand, volumes, occupancy, CPU), with the forecast bench's calendars. */
export const SERIES: SeriesSpec[] = KEYS.map((key) => NAB_SERIES.find((s) => s.key === key) ?? { key });
