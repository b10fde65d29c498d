// MetricsSource over Prometheus' HTTP API, through prometheus-query (axios underneath).
import { PrometheusDriver } from "prometheus-query";
import { MetricsSource, Sample } from "./source";

interface Vector {
  metric: { labels: Record<string, string> };
  value: { time: Date; value: number };
}

export function prometheusSource(url: string, timeoutMs = 5000): MetricsSource {
  const driver = new PrometheusDriver({ endpoint: url, baseURL: "/api/v1", timeout: timeoutMs });
  return {
    async query(promql: string): Promise<Sample[]> {
      try {
        const r = await driver.instantQuery(promql);
        return (r.result as Vector[]).map((v) => ({ labels: v.metric.labels, value: v.value.value, at: v.value.time.getTime() }));
      } catch (e) {
        // The driver rejects with Prometheus' own error object; keep its words and say where.
        const msg = (e as { message?: string; error?: string }).message ?? (e as { error?: string }).error ?? JSON.stringify(e);
        throw new Error(`Prometheus at ${url} failed on '${promql}': ${msg}`);
      }
    },
  };
}
