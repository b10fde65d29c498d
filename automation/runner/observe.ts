// Observe: one PromQL query per metric per service, folded into decide()'s Observations. A metric
// Prometheus does not have is left out (decide() holds on missing or stale data and says so).
import { StackSpec } from "../../components/config";
import { InstanceObservation, InstanceRole, Observations, RATE_WINDOW_SEC } from "../decide";
import { MetricsSource, Sample } from "../metrics/source";

const WINDOW = `${RATE_WINDOW_SEC}s`;
const APP = 'route!~"/healthz|/metrics|/admin/role"';

export function serviceQueries(service: string): Record<string, string> {
  const s = `service="${service}",role=~"live|shadow"`;
  return {
    up: `up{${s}}`,
    requestRate: `sum by (instance) (rate(http_requests_total{${s},${APP},mirrored="false"}[${WINDOW}]))`,
    errorRate: `sum by (instance) (rate(http_requests_total{${s},${APP},status=~"5..",mirrored="false"}[${WINDOW}])) / sum by (instance) (rate(http_requests_total{${s},${APP},mirrored="false"}[${WINDOW}]))`,
    cpu: `sum by (instance) (rate(process_cpu_seconds_total{${s}}[${WINDOW}]))`,
    memoryBytes: `sum by (instance) (process_resident_memory_bytes{${s}})`,
    p99Ms: `1000 * histogram_quantile(0.99, sum by (instance, le) (rate(http_request_duration_seconds_bucket{${s},${APP},mirrored="false"}[${WINDOW}])))`,
    replicationLagSec: `max by (shadow) (understudy_replication_lag_seconds{service="${service}"})`,
  };
}

/** The load the service receives, at its load balancer (mirrored copies are not load). */
export function loadQuery(service: string): string {
  return `sum(rate(haproxy_frontend_http_requests_total{proxy="fe_${service}"}[${WINDOW}]))`;
}

type Field = Exclude<keyof InstanceObservation, "instance" | "host" | "role" | "at">;

export async function observe(source: MetricsSource, spec: StackSpec, now: number): Promise<{ observations: Observations; loads: Record<string, number | undefined> }> {
  const services: Observations["services"] = {};
  const loads: Record<string, number | undefined> = {};
  for (const svc of spec.services) {
    const q = serviceQueries(svc.name);
    const results = Object.fromEntries(await Promise.all(Object.entries(q).map(async ([k, promql]) => [k, await source.query(promql)] as const))) as Record<string, Sample[]>;
    const byInstance = new Map<string, InstanceObservation>();
    for (const s of results.up) {
      const role = (s.labels.role === "shadow" ? "shadow" : "live") as InstanceRole;
      byInstance.set(s.labels.instance, { instance: s.labels.instance, host: s.labels.host, role, at: s.at, up: s.value === 1 });
    }
    for (const [k, samples] of Object.entries(results)) {
      if (k === "up") continue;
      for (const s of samples) {
        const o = byInstance.get(k === "replicationLagSec" ? s.labels.shadow : s.labels.instance);
        if (o && Number.isFinite(s.value)) {
          o[k as Field] = s.value as never;
          o.at = Math.min(o.at, s.at);
        }
      }
    }
    services[svc.name] = [...byInstance.values()];
    const load = (await source.query(loadQuery(svc.name)))[0]?.value;
    loads[svc.name] = load !== undefined && Number.isFinite(load) ? load : undefined;
  }
  return { observations: { now, services }, loads };
}
