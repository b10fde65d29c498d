// Renders one service's HAProxy 2.6 configuration. Pure: the same spec gives the same text, so an
// unchanged stack renders an unchanged file and `pulumi preview` shows no change.
import { LoadBalancerSpec, ServiceSpec } from "../../config";

export interface ServerLine {
  name: string;
  address: string;
  port: number;
  /** A standing shadow slot without a running shadow starts in maintenance (default: enabled). */
  enabled?: boolean;
}

export interface HaproxyArgs {
  service: ServiceSpec;
  lb: LoadBalancerSpec;
  live: ServerLine[];
  shadows: ServerLine[];
  adminSocket: string;
  routingMap: string;
  mirrorScript: string;
}

/** The agent-check port of an instance: next to its service port, on the same address. */
export function agentPort(port: number): number {
  return port + 1;
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

/**
 * The text whose change needs a reload: the configuration with every slot enabled. Which slots are
 * enabled is applied through the runtime API instead (and written to the file for a restart).
 */
export function reloadStructure(a: HaproxyArgs): string {
  return renderHaproxyConfig({ ...a, shadows: a.shadows.map((x) => ({ ...x, enabled: true })) });
}

/** Mirror copies in flight at most, per load balancer; the excess is dropped and counted. */
export const MIRROR_MAX_IN_FLIGHT = 64;

/** The routing map holds the values the runtime API changes without a reload. */
export function routingEntries(service: ServiceSpec): Record<string, number> {
  return {
    shadow_weight: service.shadows.weightPercent,
    mirror_percent: service.shadows.mirrorPercent,
    mirror_body_cap: service.shadows.mirrorBodyCapBytes,
    mirror_max_inflight: MIRROR_MAX_IN_FLIGHT,
  };
}

export function renderHaproxyConfig(a: HaproxyArgs): string {
  const s = a.service;
  const be = `be_${s.name}`;
  const inter = a.lb.checkIntervalMs;
  // Live servers also ask the instance's agent (drain above the CPU threshold, ready once recovered).
  const server = (x: ServerLine, weight: number, agent: boolean): string =>
    `  server ${x.name} ${x.address}:${x.port} weight ${weight}` +
    (agent ? ` agent-check agent-port ${agentPort(x.port)} agent-inter ${inter}` : "") +
    (x.enabled === false ? " disabled" : "");
  return [
    "global",
    // Server state changes, and (with dontlog-normal below) every request that ended abnormally.
    "  log stdout format raw local0 info",
    `  stats socket ${a.adminSocket} mode 600 level admin expose-fd listeners`,
    "  stats timeout 30s",
    "  maxconn 4000",
    `  lua-load ${a.mirrorScript}`,
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  option dontlog-normal",
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
    `  retries ${Math.max(a.lb.retries, a.live.length + 2)}`,
    "  option redispatch",
    "  retry-on conn-failure empty-response junk-response 503",
    "",
    `frontend fe_${s.name}`,
    `  bind 127.0.0.1:${s.frontendPort}`,
    "  option http-buffer-request",
    ...["shadow_weight", "mirror_pct:mirror_percent", "mirror_cap:mirror_body_cap", "mirror_max:mirror_max_inflight"].map((kv) => {
      const [v, k = v] = kv.split(":");
      return `  http-request set-var(txn.${v}) str(${k}),map_str_int(${a.routingMap},0)`;
    }),
    `  acl live_down nbsrv(${be}_live) eq 0`,
    `  acl shadows_up nbsrv(${be}_shadow) gt 0`,
    "  acl canary rand(100),sub(txn.shadow_weight) lt 0",
    // Shadows are read-only until promoted: the canary share is taken from reads only.
    "  acl safe_method method GET HEAD",
    // Copies of live-bound requests go to the shadows; already-mirrored requests are never copied again.
    `  http-request lua.mirror ${be}_shadow if !live_down !{ req.hdr(x-understudy-mirror) -m found }`,
    // Shadows serve at once when every live instance is down, and take the canary share otherwise.
    `  use_backend ${be}_shadow if shadows_up live_down`,
    `  use_backend ${be}_shadow if shadows_up canary safe_method`,
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
      // A refused connection on real traffic marks the server down at once, before the health check
      // notices: the retry then skips it.
      `  default-server check inter ${inter} fastinter ${Math.max(100, Math.floor(inter / 4))} downinter ${inter} fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down`,
      ...(servers as ServerLine[]).map((x) => server(x, 100, name === `${be}_live`)),
      // In the live backend the shadows stand by as backups: a request whose every live server died
      // under it is retried on a shadow instead of failing.
      ...(name === `${be}_live` ? a.shadows.map((x) => `  server ${backupName(x.name)} ${x.address}:${x.port} backup${x.enabled === false ? " disabled" : ""}`) : []),
      "",
    ]),
    "frontend stats",
    `  bind 127.0.0.1:${s.statsPort}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  http-request use-service lua.mirror_metrics if { path /mirror-metrics }",
    "  stats enable",
    "  stats uri /stats",
    "  stats refresh 5s",
    "",
  ].join("\n");
}
