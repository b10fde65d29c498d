// An instance's boot script on aws: the service under systemd, its store credentials fetched from
// Secrets Manager (never written into user data), and an Envoy sidecar in front of it that mirrors
// a percent of live requests to the shadows, because an ALB cannot mirror.
import { ServiceSpec } from "../../config";
import { Role } from "../../platform";

export interface UserDataArgs {
  service: ServiceSpec;
  role: Role;
  appDir: string;
  sidecarPort: number;
  /** The internal mirror ALB's DNS name and the host header its rule for this service matches. */
  mirror: { albDns: string; host: string };
  db?: { host: string; port: number; database: string; user: string; secretArn: string };
}

/** Mirror copies in flight at most per instance (Envoy circuit breaker); the excess is dropped. */
export const MIRROR_MAX_IN_FLIGHT = 64;

/**
 * The circuit breaker of both clusters a copy passes ("copy", then "shadows"). In Envoy a request that
 * finds no idle upstream connection is *pending* until one is ready, and max_pending_requests bounds
 * that queue: at 0 every copy on a cold or busy pool overflows (upstream_rq_pending_overflow, a local
 * 503) and nothing is mirrored. So copies may wait for a connection, as many as may be in flight;
 * max_requests bounds the copies in flight, max_connections the sockets to the mirror ALB.
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/circuit_breaking
 */
export const MIRROR_CIRCUIT_BREAKER = {
  thresholds: [{ priority: "DEFAULT", max_connections: MIRROR_MAX_IN_FLIGHT, max_pending_requests: MIRROR_MAX_IN_FLIGHT, max_requests: MIRROR_MAX_IN_FLIGHT, max_retries: 0 }],
};

const ROUTER = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } };

function listener(name: string, address: string, port: number, routes: unknown[]): unknown {
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: name,
              http_filters: [ROUTER],
              route_config: { virtual_hosts: [{ name, domains: ["*"], routes }] },
            },
          },
        ],
      },
    ],
  };
}

function cluster(name: string, type: "STATIC" | "STRICT_DNS", address: string, port: number, extra: Record<string, unknown> = {}): unknown {
  return {
    name,
    type,
    connect_timeout: "0.5s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: port } } } }] }] },
    ...extra,
  };
}

/** Envoy's bootstrap as JSON (valid YAML): ingress → app, and for live instances a sampled copy → shadows. */
export function envoyConfig(a: UserDataArgs): string {
  const svc = a.service;
  const copyPort = a.sidecarPort + 1;
  const pct = a.role === "live" ? svc.shadows.mirrorPercent : 0;
  const toApp = { cluster: "app", timeout: "30s" };
  const mirrored = { ...toApp, request_mirror_policies: [{ cluster: "copy", runtime_fraction: { default_value: { numerator: pct, denominator: "HUNDRED" } } }] };
  // Bodies over the cap (by Content-Length) are not copied; chunked bodies have none and are copied.
  const routes =
    pct > 0
      ? [
          { match: { prefix: "/", headers: [{ name: "content-length", range_match: { start: svc.shadows.mirrorBodyCapBytes + 1, end: Number.MAX_SAFE_INTEGER } }] }, route: toApp },
          { match: { prefix: "/", headers: [{ name: "x-understudy-mirror", present_match: true }] }, route: toApp },
          { match: { prefix: "/" }, route: mirrored },
        ]
      : [{ match: { prefix: "/" }, route: toApp }];
  // The copy passes a loopback listener that marks it and names the shadows' rule on the mirror ALB.
  const copyRoutes = [
    {
      match: { prefix: "/" },
      request_headers_to_add: [{ header: { key: "x-understudy-mirror", value: "1" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }],
      route: { cluster: "shadows", host_rewrite_literal: a.mirror.host, timeout: "5s" },
    },
  ];
  const config = {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } },
    static_resources: {
      listeners: [listener("ingress", "0.0.0.0", a.sidecarPort, routes), listener("copy", "127.0.0.1", copyPort, copyRoutes)],
      clusters: [
        cluster("app", "STATIC", "127.0.0.1", svc.port),
        cluster("copy", "STATIC", "127.0.0.1", copyPort, { circuit_breakers: MIRROR_CIRCUIT_BREAKER }),
        cluster("shadows", "STRICT_DNS", a.mirror.albDns, 80, { circuit_breakers: MIRROR_CIRCUIT_BREAKER }),
      ],
    },
  };
  return JSON.stringify(config, null, 2);
}

const shellQuote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

export function renderUserData(a: UserDataArgs): string {
  const svc = a.service;
  const env: Record<string, string> = {
    ...svc.env,
    ...(a.role === "shadow" ? svc.shadows.env : {}),
    HOST: "127.0.0.1",
    PORT: String(svc.port),
    UNDERSTUDY_ROLE: a.role,
    UNDERSTUDY_SERVICE: svc.name,
    CPU_COST_MS: String(svc.cpuCostMs),
  };
  const db = a.db;
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    "install -d -m 0750 /etc/understudy",
    "token=$(curl -sfX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')",
    "meta() { curl -sf -H \"X-aws-ec2-metadata-token: $token\" \"http://169.254.169.254/latest/meta-data/$1\"; }",
    "{",
    ...Object.entries(env).map(([k, v]) => `  echo ${shellQuote(`${k}=${v}`)}`),
    "  echo \"UNDERSTUDY_INSTANCE=$(meta instance-id)\"",
    "  echo \"UNDERSTUDY_HOST=$(meta placement/availability-zone)\"",
    "} > /etc/understudy/service.env",
    ...(db
      ? [
          "# The store's password is read from its RDS-managed secret at boot, so it never appears in user data.",
          `secret=$(aws secretsmanager get-secret-value --region ${shellQuote(db.secretArn.split(":")[3] ?? "")} --secret-id ${shellQuote(db.secretArn)} --query SecretString --output text)`,
          `pw=$(printf '%s' "$secret" | jq -r '.password|@uri')`,
          `( umask 077; echo "DATABASE_URL=postgres://${db.user}:$pw@${db.host}:${db.port}/${db.database}?sslmode=require" >> /etc/understudy/service.env )`,
        ]
      : []),
    "chmod 0600 /etc/understudy/service.env",
    "cat > /etc/understudy/envoy.json <<'ENVOY'",
    envoyConfig(a),
    "ENVOY",
    "cat > /etc/systemd/system/understudy.service <<'UNIT'",
    "[Unit]",
    `Description=understudy ${svc.name} (${a.role})`,
    "[Service]",
    `WorkingDirectory=${a.appDir}`,
    "EnvironmentFile=/etc/understudy/service.env",
    `ExecStart=/usr/bin/env ${svc.command}`,
    "Restart=always",
    "[Install]",
    "WantedBy=multi-user.target",
    "UNIT",
    "cat > /etc/systemd/system/understudy-envoy.service <<'UNIT'",
    "[Unit]",
    "Description=understudy sidecar (Envoy)",
    "[Service]",
    "ExecStart=/usr/bin/env envoy -c /etc/understudy/envoy.json",
    "Restart=always",
    "[Install]",
    "WantedBy=multi-user.target",
    "UNIT",
    "systemctl daemon-reload",
    "systemctl enable --now understudy.service understudy-envoy.service",
    "",
  ].join("\n");
}
