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

/**
 * How long HAProxy keeps an idle client connection open, and the shorter time it announces to clients
 * (`Keep-Alive: timeout=`). A client that reuses a connection the server is closing at that moment
 * gets a reset (nothing was answered, so the request cannot be told apart from a lost one). The side
 * that closes an idle connection must therefore be the client: clients close theirs after a few
 * seconds (Node's global agent 5 s, undici 4 s) or at the announced time minus a margin, and this
 * server waits 10 s longer than it announces, so a client whose event loop or scheduler was stalled
 * by a busy machine still closes first.
 */
export const CLIENT_KEEP_ALIVE_S = 30;
export const CLIENT_KEEP_ALIVE_ANNOUNCED_S = 20;

/** Longest a health check may take to answer (after its connect) before it counts as failed. */
export const CHECK_TIMEOUT_MS = 2500;

/** Requests one server handles at once; more wait in HAProxy's queue (`timeout queue`). Twice the demo
 * service's database pool (10): enough to keep it busy, few enough that its health check is not queued
 * behind a pile-up inside the process. */
export const SERVER_MAXCONN = 20;

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
    // A health check answers "is this process able to serve", not "is it fast right now": on a busy
    // machine the only live instance once took over 1 s to answer /healthz behind 64 requests and was
    // marked down (its check timed out at `inter`), and every write went to the read-only shadows (503).
    // So a check may take CHECK_TIMEOUT_MS, and each server takes at most SERVER_MAXCONN requests at a
    // time (the rest wait in HAProxy's queue, where a freed slot on any server takes them), which keeps
    // its event loop short enough to answer the check. A dead process is still out at once: its
    // refused connections mark it down (observe layer4) before any check.
    "  timeout check " + CHECK_TIMEOUT_MS + "ms",
    `  default-server check inter ${inter} fastinter ${Math.max(100, Math.floor(inter / 4))} downinter ${inter} fall 2 rise 2 maxconn ${SERVER_MAXCONN} ${l.serverOptions}`,
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
    // More threads than the cores HAProxy gets (a container's CPU limit, a cpuset narrowed after start)
    // make them preempt each other while one holds the shared Lua state's lock, which the mirror's
    // action and its copies' tasks take on every copied request.
    ...(l.lb.threads > 0 ? [`  nbthread ${l.lb.threads}`] : []),
    // A former worker after a reload serves its connections until each has ended (idle ones after their
    // next response, below); this bounds it well past the longest request plus the keep-alive time.
    `  hard-stop-after ${2 * CLIENT_KEEP_ALIVE_S + 30}s`,
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
    `  timeout http-keep-alive ${CLIENT_KEEP_ALIVE_S}s`,
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
    // Keep-Alive is hop by hop: the service's own (its keep-alive with HAProxy) must not reach clients
    // as if it described this connection. Announce HAProxy's, shorter than it really waits (see above).
    `  http-response set-header Keep-Alive timeout=${CLIENT_KEEP_ALIVE_ANNOUNCED_S}`,
    ...["shadow_weight", "mirror_pct:mirror_percent", "mirror_cap:mirror_body_cap", "mirror_max:mirror_max_inflight"].map((kv) => {
      const [v, k = v] = kv.split(":");
      return `  http-request set-var(txn.${v}) str(${k}),map_str_int(${l.routingMap},0)`;
    }),
    // How many shadows are usable, counted by HAProxy itself: the mirror skips its Lua server scan
    // when none is (a dead shadow used to cost a scan per copied request).
    `  http-request set-var(txn.shadows_usable) nbsrv(${be}_shadow)`,
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
