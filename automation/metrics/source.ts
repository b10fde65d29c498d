// The metrics seam: everything the runtime reads about running instances goes through one interface,
// so decisions can be tested against recorded samples and run against Prometheus.
export interface Sample {
  labels: Record<string, string>;
  value: number;
  /** Sample time, epoch ms. */
  at: number;
}

export interface MetricsSource {
  /** An instant PromQL query; an empty result is an empty list, a failure throws. */
  query(promql: string): Promise<Sample[]>;
  /** A range query: one series per label set, points every `stepSec` from `start` to `end` (epoch ms). */
  range(promql: string, start: number, end: number, stepSec: number): Promise<{ labels: Record<string, string>; points: { t: number; v: number }[] }[]>;
}
