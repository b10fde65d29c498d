// MetricsSource over Prometheus' HTTP API, through prometheus-query (axios underneath).
import { PrometheusDriver } from "prometheus-query";
import { MetricsSource, Sample } from "./source";

interface Range {
  metric: { labels: Record<string, string> };
  values: { time: Date; value: number }[];
}

interface Vector {
  metric: { labels: Record<string, string> };
  value: { time: Date; value: number };
}

export function prometheusSource(url: string, timeoutMs = 5000): MetricsSource {
  const driver = new PrometheusDriver({ endpoint: url, baseURL: "/api/v1", timeout: timeoutMs });
  // The driver rejects with Prometheus' own error object; keep its words and say where.
  const fail = (promql: string, e: unknown): never => {
    const msg = (e as { message?: string }).message ?? (e as { error?: string }).error ?? JSON.stringify(e);
    throw new Error(`Prometheus at ${url} failed on '${promql}': ${msg}`);
  };
  return {
    async query(promql: string): Promise<Sample[]> {
      try {
        const r = await driver.instantQuery(promql);
        return (r.result as Vector[]).map((v) => ({ labels: v.metric.labels, value: v.value.value, at: v.value.time.getTime() }));
      } catch (e) {
        return fail(promql, e);
      }
    },
    async range(promql: string, start: number, end: number, stepSec: number) {
      try {
        const r = await driver.rangeQuery(promql, new Date(start), new Date(end), stepSec);
        return (r.result as Range[]).map((s) => ({ labels: s.metric.labels, points: s.values.map((p) => ({ t: p.time.getTime(), v: p.value })) }));
      } catch (e) {
        return fail(promql, e);
      }
    },
  };
}
