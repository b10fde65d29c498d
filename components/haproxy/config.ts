// One service's HAProxy 2.6 configuration, shared by every platform that runs HAProxy (local, docker):
// routing by a runtime-updatable map, the Lua mirror, retries that reach the shadows, health checks.
// A platform supplies only what differs: addresses, binds, how servers are found and checked.
// Pure: the same layout gives the same text, so an unchanged stack previews no change.
import * as path from "node:path";
import { LoadBalancerSpec, ServiceSpec } from "../config";

// This module runs compiled (dist/components/haproxy) or from source (components/haproxy).
const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");

/** The Lua mirror action and its metrics service (copies never delay the live request). */
export const MIRROR_SCRIPT = path.join(ROOT, "components", "haproxy", "mirror.lua");

/** Mirror copies in flight at most, per load balancer; the excess is dropped and counted. */
export const MIRROR_MAX_IN_FLIGHT = 64;

export interface ServerLine {
  name: string;
  address: string;
  port: number;
  /** A standing shadow slot without a running shadow starts in maintenance (default: enabled). */
  enabled?: boolean;
  /** Extra server options (local: the agent check that drains a live instance over the CPU threshold). */
  options?: string;
}

export interface HaproxyLayout {
  service: ServiceSpec;
  lb: LoadBalancerSpec;
  live: ServerLine[];
  shadows: ServerLine[];
  /** Extra lines of the global section (runtime API socket). */
  global: string[];
  /** Sections before the proxies (docker: the resolvers of its embedded DNS). */
  preamble: string[];
  frontendBind: string;
  statsBind: string;
  routingMap: string;
  mirrorScript: string;
  /** Options of every server line after the health check's (how addresses are resolved, observe). */
  serverOptions: string;
}

/** The values the runtime API changes without a reload, kept in the routing map. */
export function routingEntries(service: ServiceSpec): Record<string, number> {
  return {
    shadow_weight: service.shadows.weightPercent,
    mirror_percent: service.shadows.mirrorPercent,
    mirror_body_cap: service.shadows.mirrorBodyCapBytes,
    mirror_max_inflight: MIRROR_MAX_IN_FLIGHT,
  };
}

export function renderRoutingMap(entries: Record<string, number>): string {
  return Object.entries(entries)
    .map(([k, v]) => `${k} ${v}\n`)
    .join("");
}

/** A shadow's second server line: a backup in the live backend. */
export function backupName(shadow: string): string {
  return `${shadow}-backup`;
}

/**
 * Which server lines a running shadow slot enables: its own in the shadow backend and its backup in
 * the live backend. Keyed "backend/server", as the runtime API's `set server` takes them.
 */
export function slotServers(service: string, slots: readonly ServerLine[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const x of slots) {
    out[`be_${service}_shadow/${x.name}`] = x.enabled !== false;
    out[`be_${service}_live/${backupName(x.name)}`] = x.enabled !== false;
  }
  return out;
}

const serverLine = (x: ServerLine, name = x.name, role = "weight 100"): string =>
  `  server ${name} ${x.address}:${x.port} ${role}${x.options ? ` ${x.options}` : ""}${x.enabled === false ? " disabled" : ""}`;

export function renderHaproxy(l: HaproxyLayout): string {
  const s = l.service;
  const be = `be_${s.name}`;
  const inter = l.lb.checkIntervalMs;
  const backend = (name: string, servers: string[]): string[] => [
    `backend ${name}`,
    "  balance leastconn",
    "  option httpchk",
    `  http-check send meth GET uri ${s.healthPath}`,
    "  http-check expect status 200",
    `  default-server check inter ${inter} fastinter ${Math.max(100, Math.floor(inter / 4))} downinter ${inter} fall 2 rise 2 ${l.serverOptions}`,
    ...servers,
    "",
  ];
  return [
    "global",
    // Server state changes and alerts. The Lua mirror's HTTP client logs through the global log at
    // info for every copy, so request logs are set on the proxies instead (defaults, below).
    "  log stdout format raw local0 notice",
    ...l.global,
    "  maxconn 4000",
    `  lua-load ${l.mirrorScript}`,
    "",
    ...l.preamble,
    "defaults",
    "  mode http",
    // Every request that ended abnormally (dontlog-normal): the first place to look after a failure.
    "  log stdout format raw local0 info",
    "  option httplog",
    "  option dontlog-normal",
    // Port probes (a connect without a request, as the supervisor's readiness check does) are not errors.
    "  option dontlognull",
    "  timeout connect 500ms",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout http-request 10s",
    "  timeout queue 5s",
    // On a reload, an idle keep-alive client connection is closed after its next response, never
    // under a request the client is sending at that moment (no connection reset seen by clients).
    "  option idle-close-on-response",
    // A request that finds a dead or dying server is tried again. While other servers are up it goes to
    // one of them at once; the last one up is tried again after the connect timeout, by which time the
    // failed connection has marked it down, and the final retry goes to whatever is left — the shadows
    // when every live instance died at once. Redispatching on every retry ("redispatch 1") spends all
    // retries within a millisecond on servers whose mark-down has not been applied yet, and HAProxy
    // then closes a reused client connection without an answer (the client sees a reset).
    `  retries ${Math.max(l.lb.retries, l.live.length + 2)}`,
    "  option redispatch",
    "  retry-on conn-failure empty-response junk-response 503",
    "",
    `frontend fe_${s.name}`,
    `  bind ${l.frontendBind}`,
    "  option http-buffer-request",
    ...["shadow_weight", "mirror_pct:mirror_percent", "mirror_cap:mirror_body_cap", "mirror_max:mirror_max_inflight"].map((kv) => {
      const [v, k = v] = kv.split(":");
      return `  http-request set-var(txn.${v}) str(${k}),map_str_int(${l.routingMap},0)`;
    }),
    `  acl live_down nbsrv(${be}_live) eq 0`,
    `  acl shadows_up nbsrv(${be}_shadow) gt 0`,
    // Shadows are read-only until promoted: the canary share is drawn from reads only, once per
    // request, so routing and mirroring agree on it.
    "  acl safe_method method GET HEAD",
    "  http-request set-var(txn.canary) bool(1) if safe_method { rand(100),sub(txn.shadow_weight) lt 0 }",
    "  acl canary var(txn.canary) -m bool",
    // Copies of live-bound requests go to the shadows; a canary request (already on a shadow) and an
    // already-mirrored request are never copied.
    `  http-request lua.mirror ${be}_shadow if !live_down !canary !{ req.hdr(x-understudy-mirror) -m found }`,
    // Shadows serve at once when every live instance is down, and take the canary share otherwise.
    `  use_backend ${be}_shadow if shadows_up live_down`,
    `  use_backend ${be}_shadow if shadows_up canary`,
    `  default_backend ${be}_live`,
    "",
    // In the live backend the shadows stand by as backups: a request whose every live server died
    // under it is retried on a shadow instead of failing.
    ...backend(`${be}_live`, [...l.live.map((x) => serverLine(x)), ...l.shadows.map((x) => serverLine({ ...x, options: undefined }, backupName(x.name), "backup"))]),
    ...backend(`${be}_shadow`, l.shadows.map((x) => serverLine(x))),
    "frontend stats",
    `  bind ${l.statsBind}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  http-request use-service lua.mirror_metrics if { path /mirror-metrics }",
    "  stats enable",
    "  stats uri /stats",
    "",
  ].join("\n");
}
