// The PromQL of the docker platform's metrics: its Prometheus container scrapes every instance by
// container name with the labels service, role, host and instance (static targets written by the
// stack, foundation.ts), and each HAProxy container's exporter (role "loadbalancer").
import { RATE_WINDOW_SEC } from "../../../../automation/decide";
import { instanceQueries, PlatformQueries } from "../../../../automation/platform/promObserver";

export const dockerQueries: PlatformQueries = {
  // No lag exporter runs on docker yet: the query finds nothing, and decide() holds promotion for it.
  instances: (service) => instanceQueries(service, `max by (shadow) (understudy_replication_lag_seconds{service="${service}"})`),
  // At the HAProxy container's frontend: what clients send, before routing or mirroring.
  load: (service) => `sum(rate(haproxy_frontend_http_requests_total{proxy="fe_${service}",role="loadbalancer"}[${RATE_WINDOW_SEC}s]))`,
};
