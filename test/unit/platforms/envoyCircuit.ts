// Reads an Envoy bootstrap (the aws sidecar's) the way Envoy routes a mirrored copy, and says how many
// copies of a burst reach the shadows. No Envoy binary can be had here, so this follows Envoy's
// documented circuit-breaker semantics
// (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking and the
// Thresholds proto): per cluster, at the DEFAULT priority, every unset limit is 1024 (retries 3);
// - max_requests bounds the requests outstanding to the cluster: the router refuses one more;
// - a request that finds no ready connection is *pending* until a connection is ready, and
//   max_pending_requests bounds that queue: past it the request overflows (upstream_rq_pending_overflow)
//   and Envoy answers 503 itself, without opening a connection;
// - on a cold pool (the first copies, and every copy after the mirror ALB closed idle connections)
//   every request starts pending.
import { at, list, str } from "./mockStack";

interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
}

const DEFAULT_LIMIT = 1024;

export function thresholdsOf(cluster: unknown): Thresholds {
  const all = list(at(cluster, "circuit_breakers.thresholds"));
  // The first entry for the DEFAULT priority (an entry without priority is DEFAULT) wins.
  const t = all.find((x) => [undefined, "DEFAULT"].includes(at(x, "priority") as string | undefined));
  const limit = (k: string): number => {
    const v = at(t, k);
    return typeof v === "number" ? v : DEFAULT_LIMIT;
  };
  return { maxConnections: limit("max_connections"), maxPendingRequests: limit("max_pending_requests"), maxRequests: limit("max_requests") };
}

/** Copies of a simultaneous burst of `burst` that one cluster with a cold pool lets through. */
export function admittedOnColdPool(t: Thresholds, burst: number): number {
  // Each copy is outstanding (max_requests) and, with no ready connection, pending (max_pending_requests).
  return Math.max(0, Math.min(burst, t.maxRequests, t.maxPendingRequests));
}

const routesOf = (listener: unknown): unknown[] => list(at(listener, "filter_chains.0.filters.0.typed_config.route_config.virtual_hosts.0.routes"));

/**
 * The clusters a mirrored copy passes, in order: the cluster named by the ingress listener's mirror
 * policy, and, when that cluster is a loopback listener of the same Envoy, the cluster its route forwards to.
 */
export function mirrorPath(config: unknown): unknown[] {
  const clusters = list(at(config, "static_resources.clusters"));
  const listeners = list(at(config, "static_resources.listeners"));
  const byName = (n: string): unknown => clusters.find((c) => at(c, "name") === n);
  const policy = routesOf(listeners[0]).map((r) => list(at(r, "route.request_mirror_policies"))[0]).find((p) => p !== undefined);
  if (!policy) return [];
  const path: unknown[] = [];
  let next: unknown = byName(str(at(policy, "cluster")));
  while (next !== undefined && !path.includes(next)) {
    path.push(next);
    const ep = at(next, "load_assignment.endpoints.0.lb_endpoints.0.endpoint.address.socket_address");
    const hop = listeners.find((l) => at(l, "address.socket_address.port_value") === at(ep, "port_value") && at(ep, "address") === "127.0.0.1");
    next = hop === undefined ? undefined : byName(str(at(routesOf(hop)[0], "route.cluster")));
  }
  return path;
}

/** Copies of a burst that reach the end of the mirror path. */
export function copiesDelivered(config: unknown, burst: number): number {
  const path = mirrorPath(config);
  return path.length === 0 ? 0 : Math.min(...path.map((c) => admittedOnColdPool(thresholdsOf(c), burst)));
}
