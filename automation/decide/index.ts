// Public API of the decision plane: one pure function shared by the live runner and the simulator,
// its policy, and the glue to the stack config.
export { decide } from "./decide";
export { DEFAULT_POLICY, instancePrice, parsePolicy } from "./policy";
export type { CostPolicy, Policy } from "./policy";
export type { CanaryPolicy } from "../canary/rollout";
export { horizonSteps, stepsWithin, summariseForecast } from "./forecastSummary";
export type { ForecastInput } from "./forecastSummary";
export { costOf, estimateCost, exceedance } from "./cost";
export type { CostInputs } from "./cost";
export { applyChangesToConfig, initialServiceState, startRollout, stateFromConfig } from "./config";
export type { ServiceCounts } from "./config";
export * from "./types";
