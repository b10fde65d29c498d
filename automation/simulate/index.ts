// Public API of the trace-driven simulator: pure, no I/O; bench/simulate is the shell around it.
export { simulate, initialLive } from "./simulate";
export { Cluster } from "./cluster";
export { Demand, prepareTrace, DEFAULT_TRACE_OPTIONS } from "./trace";
export type { Trace, TraceOptions } from "./trace";
export { ReactiveHpa } from "./strategies/reactive";
export { PredictiveHoltWinters, leadSteps } from "./strategies/predictive";
export { Oracle } from "./strategies/oracle";
export { Understudy } from "./strategies/understudy";
export { HpaRecommender, DEFAULT_HPA } from "./strategies/hpa";
export type { HpaOptions } from "./strategies/hpa";
export { recordTape, TapeReader } from "./tape";
export type { ForecastTape, TapeSpec } from "./tape";
export * from "./types";
