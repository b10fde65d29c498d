// The PromQL of the local platform's metrics: the local Prometheus scrapes every instance with the
// labels service, role, host and instance (file service discovery, written by the stack), the lag
// exporter per shadow, and HAProxy's exporter per frontend.
import { RATE_WINDOW_SEC } from "../../../../automation/decide";
import { instanceQueries, PlatformQueries } from "../../../../automation/platform/promObserver";

const WINDOW = `${RATE_WINDOW_SEC}s`;

export const localQueries: PlatformQueries = {
  instances: (service) => instanceQueries(service, `max by (shadow) (understudy_replication_lag_seconds{service="${service}"})`),
  // At HAProxy's frontend: what clients send, before any routing or mirroring.
  load: (service) => `sum(rate(haproxy_frontend_http_requests_total{proxy="fe_${service}"}[${WINDOW}]))`,
};
