// Programmatic API of the load generator, for benchmarks and tests.
export { KINDS, LoadRecords, type Kind, type RequestRecord } from "./records";
export { percentile, summarize, formatSummary, latencyStats, type LoadSummary, type LatencyStats, type KindSummary } from "./stats";
export {
  parseTrace,
  loadTrace,
  buildSchedule,
  constantSchedule,
  rateAt,
  expectedRequests,
  sendTimes,
  TraceError,
  type Trace,
  type RateSchedule,
  type ScheduleOptions,
} from "./trace";
export { seededRandom } from "../../automation/forecast/random";
export { runLoad, writeRecords, type LoadOptions, type LoadResult, type ReadMix } from "./run";
export { runLoadProcess, cliArgs } from "./process";
