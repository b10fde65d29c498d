// One service's HAProxy configuration in its docker container, and the Lua action that mirrors.
// Pure: the same spec gives the same text, so an unchanged stack does not replace the container.
import { LoadBalancerSpec, ServiceSpec } from "../../config";

export const HAPROXY_DIR = "/usr/local/etc/haproxy";
export const FRONTEND_PORT = 8080;
export const STATS_PORT = 8404;
/** Mirrored copies enter here (loopback only), get marked, and go to the shadow backend. */
export const MIRROR_PORT = 8081;
export const MIRROR_MAX_IN_FLIGHT = 64;

export interface ServerLine {
  name: string;
  /** Container name, resolved by Docker's embedded DNS. */
  address: string;
  port: number;
}

export interface HaproxyArgs {
  service: ServiceSpec;
  lb: LoadBalancerSpec;
  live: ServerLine[];
  shadows: ServerLine[];
}

/** Values read per request from the map file; policies read the weight from here too. */
export function routingMap(svc: ServiceSpec): string {
  const entries: Record<string, number> = {
    shadow_weight: svc.shadows.weightPercent,
    mirror_percent: svc.shadows.mirrorPercent,
    mirror_body_cap: svc.shadows.mirrorBodyCapBytes,
    mirror_max_inflight: MIRROR_MAX_IN_FLIGHT,
  };
  return Object.entries(entries).map(([k, v]) => `${k} ${v}\n`).join("");
}

/**
 * The copy is sent from a task, so the live request never waits for it; a copy's response is
 * discarded, and copies beyond the in-flight limit or the body cap are not made.
 */
export const MIRROR_LUA = `-- understudy: copy a share of live requests to the shadows (see haproxyConfig.ts).
local inflight = 0
local methods = { GET = "get", POST = "post", PUT = "put", DELETE = "delete", HEAD = "head" }
local hop = { ["content-length"] = true, ["connection"] = true, ["transfer-encoding"] = true }

core.register_action("mirror", { "http-req" }, function(txn)
  local pct = tonumber(txn:get_var("txn.mirror_pct")) or 0
  if pct <= 0 or math.random(100) > pct then return end
  if inflight >= (tonumber(txn:get_var("txn.mirror_max")) or ${MIRROR_MAX_IN_FLIGHT}) then return end
  local send = methods[txn.sf:method()]
  local body = txn.sf:req_body() or ""
  if not send or #body > (tonumber(txn:get_var("txn.mirror_cap")) or 0) then return end
  local headers = {}
  for name, values in pairs(txn.http:req_get_headers()) do
    if not hop[name] then
      headers[name] = {}
      for _, v in pairs(values) do table.insert(headers[name], v) end
    end
  end
  local url = "http://127.0.0.1:${MIRROR_PORT}" .. txn.sf:pathq()
  inflight = inflight + 1
  core.register_task(function()
    local hc = core.httpclient()
    pcall(hc[send], hc, { url = url, headers = headers, body = body, timeout = 5000 })
    inflight = inflight - 1
  end)
end, 0)
`;

export function renderHaproxyConfig(a: HaproxyArgs): string {
  const s = a.service;
  const inter = a.lb.checkIntervalMs;
  const map = `${HAPROXY_DIR}/routing.map`;
  const backend = (name: string, servers: ServerLine[]): string[] => [
    `backend ${name}`,
    "  balance leastconn",
    "  option httpchk",
    `  http-check send meth GET uri ${s.healthPath}`,
    "  http-check expect status 200",
    // Containers come and go: names are resolved at run time, a missing one starts as down.
    `  default-server check inter ${inter} fall 2 rise 2 resolvers docker init-addr last,libc,none`,
    ...servers.map((x) => `  server ${x.name} ${x.address}:${x.port}`),
    "",
  ];
  return [
    "global",
    "  log stdout format raw local0 warning",
    "  maxconn 4000",
    `  lua-load ${HAPROXY_DIR}/mirror.lua`,
    "",
    "resolvers docker",
    "  nameserver dns 127.0.0.11:53",
    "  hold valid 5s",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  timeout connect 500ms",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout http-request 10s",
    // Retries as on the local platform (see its haproxyConfig.ts): redispatch on the last retry only,
    // so a dead last server is marked down before the request moves on.
    `  retries ${Math.max(a.lb.retries, a.live.length + 2)}`,
    "  option redispatch",
    "  retry-on conn-failure empty-response junk-response 503",
    "",
    `frontend fe_${s.name}`,
    `  bind *:${FRONTEND_PORT}`,
    "  option http-buffer-request",
    ...[
      ["shadow_weight", "shadow_weight"],
      ["mirror_pct", "mirror_percent"],
      ["mirror_cap", "mirror_body_cap"],
      ["mirror_max", "mirror_max_inflight"],
    ].map(([v, k]) => `  http-request set-var(txn.${v}) str(${k}),map_str_int(${map},0)`),
    "  acl live_down nbsrv(be_live) eq 0",
    "  acl shadows_up nbsrv(be_shadow) gt 0",
    // One draw per request: the canary decision and the mirror condition must agree.
    "  http-request set-var(txn.dice) rand(100)",
    // Shadows are read-only until promoted: the canary share is taken from reads only.
    "  acl safe_method method GET HEAD",
    "  http-request set-var(txn.canary) bool(1) if { var(txn.dice),sub(txn.shadow_weight) lt 0 } safe_method",
    "  acl canary var(txn.canary) -m bool",
    // Shadows serve when every live instance is down, and take the canary share otherwise; only
    // live-bound requests are copied to them, and a copy is never copied again.
    "  http-request lua.mirror if shadows_up !live_down !canary !{ req.hdr(x-understudy-mirror) -m found }",
    "  use_backend be_shadow if shadows_up live_down",
    "  use_backend be_shadow if shadows_up canary",
    "  default_backend be_live",
    "",
    "frontend fe_mirror",
    `  bind 127.0.0.1:${MIRROR_PORT}`,
    "  http-request set-header x-understudy-mirror 1",
    "  default_backend be_shadow",
    "",
    ...backend("be_live", a.live),
    ...backend("be_shadow", a.shadows),
    "frontend stats",
    `  bind *:${STATS_PORT}`,
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  stats enable",
    "  stats uri /stats",
    "",
  ].join("\n");
}
