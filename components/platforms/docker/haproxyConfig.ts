// One service's HAProxy configuration in its docker container: the shared configuration
// (components/haproxy) with container names resolved by Docker's embedded DNS.
import { LoadBalancerSpec, ServiceSpec } from "../../config";
import { renderHaproxy, ServerLine } from "../../haproxy/config";

export const HAPROXY_DIR = "/usr/local/etc/haproxy";
export const FRONTEND_PORT = 8080;
export const STATS_PORT = 8404;
/** The runtime API, on the container's own loopback only (reached by exec, never published). */
export const ADMIN_PORT = 9999;
export const ROUTING_MAP = `${HAPROXY_DIR}/routing.map`;

export interface HaproxyArgs {
  service: ServiceSpec;
  lb: LoadBalancerSpec;
  live: ServerLine[];
  shadows: ServerLine[];
}

export function renderHaproxyConfig(a: HaproxyArgs): string {
  return renderHaproxy({
    service: a.service,
    lb: a.lb,
    live: a.live,
    shadows: a.shadows,
    global: [`  stats socket ipv4@127.0.0.1:${ADMIN_PORT} level admin`],
    preamble: ["resolvers docker", "  nameserver dns 127.0.0.11:53", "  hold valid 5s", ""],
    frontendBind: `*:${FRONTEND_PORT}`,
    statsBind: `*:${STATS_PORT}`,
    routingMap: ROUTING_MAP,
    mirrorScript: `${HAPROXY_DIR}/mirror.lua`,
    // Containers come and go: names are resolved at run time, a missing one starts as down.
    serverOptions: "resolvers docker init-addr last,libc,none",
  });
}
