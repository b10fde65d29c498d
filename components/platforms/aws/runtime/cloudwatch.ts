// A MetricsSource over CloudWatch (GetMetricData), so the runtime observes an aws stack with the same
// folding as a Prometheus one. A query is CloudWatch's own request shape: a JSON list of
// MetricDataQuery; the series it returns (ReturnData) carry their labels as a JSON object in `Label`.
import { GetMetricDataCommand, GetMetricDataCommandOutput, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { MetricsSource, Sample } from "../../../../automation/metrics/source";

/** What the source needs of a CloudWatchClient (a recorded or fake one in tests). */
export interface CloudWatchApi {
  send(command: GetMetricDataCommand): Promise<Pick<GetMetricDataCommandOutput, "MetricDataResults" | "NextToken">>;
}

/** CloudWatch keeps standard-resolution metrics per minute: the shortest period worth asking. */
export const PERIOD_SEC = 60;

export function parseQuery(q: string): MetricDataQuery[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(q);
  } catch {
    throw new Error(`a CloudWatch query is a JSON list of GetMetricData MetricDataQuery objects, got: ${q.slice(0, 120)}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`a CloudWatch query is a JSON list of MetricDataQuery objects, got ${typeof parsed}`);
  return parsed as MetricDataQuery[];
}

function labelsOf(label: string | undefined): Record<string, string> {
  if (!label) return {};
  try {
    const v = JSON.parse(label) as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, string>) : { label };
  } catch {
    return { label };
  }
}

type Series = { labels: Record<string, string>; points: { t: number; v: number }[] };

export function cloudWatchSource(api: CloudWatchApi, lookbackSec = 5 * PERIOD_SEC): MetricsSource {
  const fetch = async (promql: string, start: number, end: number, periodSec: number): Promise<Series[]> => {
    // Every metric at the asked period (a range's step; a minute for an instant).
    const queries = parseQuery(promql).map((x) => (x.MetricStat ? { ...x, MetricStat: { ...x.MetricStat, Period: periodSec } } : x));
    if (queries.length === 0) return [];
    const byId = new Map<string, Series>();
    let token: string | undefined;
    do {
      const out = await api.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(start), EndTime: new Date(end), ScanBy: "TimestampAscending", NextToken: token }));
      for (const r of out.MetricDataResults ?? []) {
        const s = byId.get(r.Id ?? "") ?? { labels: labelsOf(r.Label), points: [] };
        (r.Timestamps ?? []).forEach((t, i) => s.points.push({ t: new Date(t).getTime(), v: r.Values?.[i] ?? NaN }));
        byId.set(r.Id ?? "", s);
      }
      token = out.NextToken;
    } while (token);
    for (const s of byId.values()) s.points.sort((a, b) => a.t - b.t);
    return [...byId.values()];
  };
  return {
    async query(q: string): Promise<Sample[]> {
      const end = Date.now();
      const series = await fetch(q, end - lookbackSec * 1000, end, PERIOD_SEC);
      // The newest datapoint of each series: CloudWatch publishes a minute late, so it is not "now".
      return series.flatMap((s) => {
        const last = [...s.points].reverse().find((p) => Number.isFinite(p.v));
        return last ? [{ labels: s.labels, value: last.v, at: last.t }] : [];
      });
    },
    async range(q: string, start: number, end: number, stepSec: number) {
      const period = Math.max(PERIOD_SEC, Math.round(stepSec / PERIOD_SEC) * PERIOD_SEC);
      return fetch(q, start, end, period);
    },
  };
}

/** The aws stack's metrics address, `cloudwatch://<region>` (its prometheusUrl output), as a source. */
export function cloudWatchSourceFor(url: string): MetricsSource {
  const m = /^cloudwatch:\/\/([a-z0-9-]+)\/?$/.exec(url);
  if (!m) throw new Error(`'${url}' is not a CloudWatch address: expected cloudwatch://<region> (the aws stack's prometheusUrl output)`);
  // Loaded here only: the SDK client is not needed by the other platforms.
  const { CloudWatchClient } = require("@aws-sdk/client-cloudwatch") as typeof import("@aws-sdk/client-cloudwatch");
  return cloudWatchSource(new CloudWatchClient({ region: m[1] }));
}
