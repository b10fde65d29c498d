// Reads one analysis window from Prometheus: per role (live, shadow) the requests served, the share
// answered 5xx and the p99 latency. Mirrored copies and health/metrics probes are left out: the
// canary judges what real clients got.
import { MetricsSource } from "../metrics/source";
import { Analysis, RoleStats } from "./rollout";

const APP = 'route!~"/healthz|/metrics|/admin/role",mirrored="false"';

export function analysisQueries(service: string, windowSec: number): { requests: string; errors: string; p99: string } {
  const sel = `service="${service}",role=~"live|shadow",${APP}`;
  return {
    requests: `sum by (role) (increase(http_requests_total{${sel}}[${windowSec}s]))`,
    errors: `sum by (role) (increase(http_requests_total{${sel},status=~"5.."}[${windowSec}s]))`,
    p99: `histogram_quantile(0.99, sum by (role, le) (rate(http_request_duration_seconds_bucket{${sel}}[${windowSec}s])))`,
  };
}

export async function readAnalysis(source: MetricsSource, service: string, windowSec: number): Promise<Analysis> {
  const q = analysisQueries(service, windowSec);
  const [req, err, p99] = await Promise.all([source.query(q.requests), source.query(q.errors), source.query(q.p99)]);
  const byRole = (role: string): RoleStats | undefined => {
    const r = req.find((s) => s.labels.role === role)?.value;
    if (r === undefined || !Number.isFinite(r) || r <= 0) return undefined;
    const e = err.find((s) => s.labels.role === role)?.value ?? 0;
    const p = p99.find((s) => s.labels.role === role)?.value;
    return { requests: r, errorRate: e / r, p99Ms: p !== undefined && Number.isFinite(p) ? p * 1000 : 0 };
  };
  return { live: byRole("live"), shadow: byRole("shadow") };
}
