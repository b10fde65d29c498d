// Renders one service's HAProxy 2.6 configuration. Pure: the same spec gives the same text, so an
// unchanged stack renders an unchanged file and `pulumi preview` shows no change.
import { LoadBalancerSpec, ServiceSpec } from "../../config";

export interface ServerLine {
  name: string;
  address: string;
  port: number;
}

export interface HaproxyArgs {
  service: ServiceSpec;
  lb: LoadBalancerSpec;
  live: ServerLine[];
  shadows: ServerLine[];
  adminSocket: string;
  routingMap: string;
}

/** The routing map holds the values the runtime API changes without a reload. */
export function routingMap(service: ServiceSpec): string {
  return `shadow_weight ${service.shadows.weightPercent}\n`;
}

export function renderHaproxyConfig(a: HaproxyArgs): string {
  const s = a.service;
  const be = `be_${s.name}`;
  const inter = a.lb.checkIntervalMs;
  const server = (x: ServerLine, weight: number): string => `  server ${x.name} ${x.address}:${x.port} weight ${weight}`;
  return [
    "global",
    "  log stdout format raw local0 warning",
    `  stats socket ${a.adminSocket} mode 600 level admin expose-fd listeners`,
    "  stats timeout 30s",
    "  maxconn 4000",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  timeout connect 500ms",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout http-request 10s",
    "  timeout queue 5s",
    // A request that finds a dead or dying server is tried again, on another server (redispatch).
    `  retries ${a.lb.retries}`,
    "  option redispatch 1",
    "  retry-on conn-failure empty-response junk-response 503",
    "",
    `frontend fe_${s.name}`,
    `  bind 127.0.0.1:${s.frontendPort}`,
    "  option http-buffer-request",
    "  http-request set-var(txn.shadow_weight) str(shadow_weight),map_str_int(" + a.routingMap + ",0)",
    `  acl live_down nbsrv(${be}_live) eq 0`,
    `  acl shadows_up nbsrv(${be}_shadow) gt 0`,
    "  acl canary rand(100),sub(txn.shadow_weight) lt 0",
    // Shadows serve at once when every live instance is down, and take the canary share otherwise.
    `  use_backend ${be}_shadow if shadows_up live_down`,
    `  use_backend ${be}_shadow if shadows_up canary`,
    `  default_backend ${be}_live`,
    "",
    ...[
      [`${be}_live`, a.live],
      [`${be}_shadow`, a.shadows],
    ].flatMap(([name, servers]) => [
      `backend ${name as string}`,
      "  balance leastconn",
      "  option httpchk",
      `  http-check send meth GET uri ${s.healthPath}`,
      "  http-check expect status 200",
      `  default-server check inter ${inter} fastinter ${Math.max(100, Math.floor(inter / 4))} downinter ${inter} fall 2 rise 2 observe layer4 error-limit 1 on-error fastinter`,
      ...(servers as ServerLine[]).map((x) => server(x, 100)),
      "",
    ]),
    "frontend stats",
    `  bind 127.0.0.1:${s.statsPort}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  stats enable",
    "  stats uri /stats",
    "  stats refresh 5s",
    "",
  ].join("\n");
}
