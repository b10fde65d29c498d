// Public API of the trace-driven simulator: pure, no I/O; bench/simulate is the shell around it.
export { simulate, initialLive } from "./simulate";
export { Cluster } from "./cluster";
export { Demand, prepareTrace, DEFAULT_TRACE_OPTIONS } from "./trace";
export type { Trace, TraceOptions } from "./trace";
export { ReactiveHpa } from "./strategies/reactive";
export { Phpa, leadSteps } from "./strategies/predictive";
export type { PhpaOptions } from "./strategies/predictive";
export { Oracle } from "./strategies/oracle";
export { Understudy } from "./strategies/understudy";
export type { UnderstudyOptions } from "./strategies/understudy";
export { HpaController, DEFAULT_HPA, SyncClock, resourceReplicas } from "./strategies/hpa";
export type { HpaOptions, PodSample } from "./strategies/hpa";
export { recordTape, TapeReader } from "./tape";
export type { ForecastTape, TapeSpec } from "./tape";
export * from "./types";
