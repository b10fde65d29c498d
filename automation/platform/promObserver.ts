// An Observer over PromQL: one query per metric per service, folded into decide()'s Observations. A
// platform supplies the queries its metrics really produce (labels service, role, host and instance
// on every instance series); a metric Prometheus does not have is left out, and decide() holds on
// missing or stale data and says so.
import { StackSpec } from "../../components/config";
import { InstanceObservation, InstanceRole, RATE_WINDOW_SEC } from "../decide";
import { MetricsSource, Sample } from "../metrics/source";
import type { Observed, Observer } from "./seams";

/** Per instance (label `instance`), except `replicationLagSec`: per shadow instance (label `shadow`). */
export interface InstanceQueries {
  up: string;
  requestRate: string;
  errorRate: string;
  cpu: string;
  memoryBytes: string;
  p99Ms: string;
  replicationLagSec: string;
}

export interface PlatformQueries {
  /** `spec`: the stack as configured (hosts, services), for platforms whose series need mapping. */
  instances(service: string, spec: StackSpec): InstanceQueries;
  /** One series: requests/s the service receives at its front door. */
  load(service: string): string;
}

const WINDOW = `${RATE_WINDOW_SEC}s`;
/** Application routes only: probes and the admin endpoint are not load. */
export const APP_ROUTES = 'route!~"/healthz|/metrics|/admin/role"';

/**
 * The instance series of a service whose instances expose understudy's HTTP metrics, scraped with the
 * labels service, role, host and instance; `scope` narrows further (e.g. a namespace).
 */
export function instanceQueries(service: string, lagSeconds: string, scope = ""): InstanceQueries {
  const s = `${scope}service="${service}",role=~"live|shadow"`;
  return {
    up: `up{${s}}`,
    requestRate: `sum by (instance) (rate(http_requests_total{${s},${APP_ROUTES},mirrored="false"}[${WINDOW}]))`,
    errorRate: `sum by (instance) (rate(http_requests_total{${s},${APP_ROUTES},status=~"5..",mirrored="false"}[${WINDOW}])) / sum by (instance) (rate(http_requests_total{${s},${APP_ROUTES},mirrored="false"}[${WINDOW}]))`,
    cpu: `sum by (instance) (rate(process_cpu_seconds_total{${s}}[${WINDOW}]))`,
    memoryBytes: `sum by (instance) (process_resident_memory_bytes{${s}})`,
    p99Ms: `1000 * histogram_quantile(0.99, sum by (instance, le) (rate(http_request_duration_seconds_bucket{${s},${APP_ROUTES},mirrored="false"}[${WINDOW}])))`,
    replicationLagSec: lagSeconds,
  };
}

type Field = Exclude<keyof InstanceObservation, "instance" | "host" | "role" | "at">;

/** Folds one service's query results into its instances; instances come from `up`. */
export function foldInstances(results: Record<keyof InstanceQueries, Sample[]>): InstanceObservation[] {
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
  return [...byInstance.values()];
}

export function promObserver(source: MetricsSource, queries: PlatformQueries): Observer {
  return {
    loadQuery: (service) => queries.load(service),
    async observe(spec: StackSpec, now: number): Promise<Observed> {
      const services: Observed["observations"]["services"] = {};
      const loads: Record<string, number | undefined> = {};
      for (const svc of spec.services) {
        const q = queries.instances(svc.name, spec);
        const results = Object.fromEntries(await Promise.all(Object.entries(q as unknown as Record<string, string>).map(async ([k, promql]) => [k, await source.query(promql)] as const))) as Record<keyof InstanceQueries, Sample[]>;
        services[svc.name] = foldInstances(results);
        const load = (await source.query(queries.load(svc.name)))[0]?.value;
        loads[svc.name] = load !== undefined && Number.isFinite(load) ? load : undefined;
      }
      return { observations: { now, services }, loads };
    },
  };
}
