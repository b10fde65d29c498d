// The PromQL of the kubernetes platform's metrics, as the project's relabelling produces them
// (../metrics.ts): instance series with service, role, host, instance and namespace; the stores'
// CloudNativePG exporters with understudy's replication queries. There is no load balancer of ours in
// front: the load is what the instances served (mirrored copies excluded).
import { RATE_WINDOW_SEC } from "../../../../automation/decide";
import { APP_ROUTES, instanceQueries, PlatformQueries } from "../../../../automation/platform/promObserver";
import { dnsName, subscriptionName } from "../names";

export function kubernetesQueries(namespace: string): PlatformQueries {
  const scope = `namespace="${namespace}",`;
  return {
    instances: (service, spec) => {
      // Lag per subscription, as the primary's walsenders see it, renamed to the shadow instance it feeds.
      const perShadow = spec.hosts.map(
        (h) => `label_replace(cnpg_understudy_replication_lag_seconds{${scope}service="${service}",application_name="${subscriptionName(service, h)}"}, "shadow", "${dnsName(service, "shadow", h)}", "", "")`,
      );
      return instanceQueries(service, `max by (shadow) (${perShadow.join(" or ")})`, scope);
    },
    load: (service) => `sum(rate(http_requests_total{${scope}service="${service}",role=~"live|shadow",${APP_ROUTES},mirrored="false"}[${RATE_WINDOW_SEC}s]))`,
  };
}
