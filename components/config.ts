// The stack's configuration model: parsed and validated in one pure step, before any resource exists,
// so a bad stack config stops `pulumi preview` with a message that names the key and the rule.

export const PLATFORMS = ["local", "kubernetes", "aws", "docker"] as const;
export type PlatformName = (typeof PLATFORMS)[number];

export type ReplicationMode = "sync" | "async";
/** logical: PostgreSQL publication/subscription; stream: logical changes fanned out through a RabbitMQ stream. */
export type ReplicationDriverName = "logical" | "stream";
export type Consistency = "strong" | "eventual";

export interface StoreSpec {
  engine: "postgres";
  /** Host that runs the live (primary) store. */
  host: string;
  port: number;
  database: string;
  user: string;
  /**
   * DDL the stack applies to the primary and to every shadow's store before replication starts: a
   * path ending in .sql (relative to the project root) or the SQL itself. Required with shadows.
   */
  schema?: string;
}

export interface ShadowSpec {
  count: number;
  /** Percent of live traffic routed to the shadows (0 = passive understudies). */
  weightPercent: number;
  /** Percent of live requests copied to the shadows. */
  mirrorPercent: number;
  /** Requests with a larger body are not mirrored. */
  mirrorBodyCapBytes: number;
  /** Explicit placement; empty = placed automatically on hosts without a live instance. */
  hosts: string[];
  /** Extra environment for shadow instances only (feature flags, fault injection in tests). */
  env: Record<string, string>;
}

export interface ReplicationSpec {
  mode: ReplicationMode;
  maxLagSeconds: number;
  driver: ReplicationDriverName;
  /** Port of the replication lag exporter (default 19187 + the service's index). */
  metricsPort: number;
  /**
   * stream driver: the broker's stream port; the next two are its Erlang distribution and epmd ports
   * (127.0.0.1), the publisher answers on port + 3 on the primary's host, each consumer on port on its host.
   */
  streamPort: number;
}

export interface ServiceSpec {
  name: string;
  /** Port clients use, on the load balancer (default: loadBalancer.port + the service's index). */
  frontendPort: number;
  /** Port of this service's load-balancer stats page and Prometheus exporter (default: loadBalancer.statsPort + index). */
  statsPort: number;
  /** Command line that starts one instance; relative paths resolve from the project root. */
  command: string;
  port: number;
  healthPath: string;
  replicas: number;
  /** Explicit placement of live instances; empty = the first `replicas` hosts. */
  hosts: string[];
  env: Record<string, string>;
  /** CPU time each request burns in the demo service (ms); lets tests and demos create load. */
  cpuCostMs: number;
  consistency: Consistency;
  store?: StoreSpec;
  shadows: ShadowSpec;
  replication: ReplicationSpec;
}

export interface LoadBalancerSpec {
  port: number;
  /** Port of HAProxy's stats page and Prometheus exporter. */
  statsPort: number;
  /** Active health-check interval. */
  checkIntervalMs: number;
  retries: number;
  /** HAProxy's threads (nbthread); 0 leaves HAProxy's default, one per CPU it may run on at start. */
  threads: number;
}

export interface PrometheusSpec {
  port: number;
  scrapeIntervalSeconds: number;
  retentionHours: number;
}

export interface StackSpec {
  platform: PlatformName;
  /** Named hosts; on the local platform host i (from 0) is the loopback address 127.0.1.(i+1). */
  hosts: string[];
  loadBalancer: LoadBalancerSpec;
  prometheus: PrometheusSpec;
  services: ServiceSpec[];
}

/** Raised for every invalid key; `key` is the full config key, e.g. `understudy:services.orders.replicas`. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly rule: string,
  ) {
    super(`invalid stack config ${key}: ${rule}`);
    this.name = "ConfigError";
  }
}

export const NAMESPACE = "understudy";

/** Every top-level key the program reads, so a typo is an error rather than a silent default. */
export const KNOWN_KEYS = ["platform", "hosts", "loadBalancer", "prometheus", "services", "policy", "kubernetes", "aws", "docker"] as const;

type Raw = Record<string, unknown>;

const SERVICE_KEYS = [
  "frontendPort", "statsPort", "command", "port", "healthPath", "replicas", "hosts", "env", "cpuCostMs", "consistency", "store", "shadows", "replication",
];
const STORE_KEYS = ["engine", "host", "port", "database", "user", "schema"];
const SHADOW_KEYS = ["count", "weightPercent", "mirrorPercent", "mirrorBodyCapBytes", "hosts", "env"];
const REPLICATION_KEYS = ["mode", "maxLagSeconds", "driver", "metricsPort", "streamPort"];
const LB_KEYS = ["port", "statsPort", "checkIntervalMs", "retries", "threads"];
const PROM_KEYS = ["port", "scrapeIntervalSeconds", "retentionHours"];

function isObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Stack config arrives as strings from the engine; objects and arrays as JSON text. */
export function parseValue(key: string, v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t) as unknown;
    } catch (e) {
      throw new ConfigError(key, `is not valid JSON (${(e as Error).message})`);
    }
  }
  return v;
}

/** An object-valued key (an object, or JSON text of one); with `allowed`, any other key is an error. */
export function objectAt(key: string, v: unknown, allowed?: string[]): Raw {
  const parsed = parseValue(key, v ?? {});
  if (!isObject(parsed)) throw new ConfigError(key, "must be an object");
  for (const k of Object.keys(parsed)) {
    if (allowed && !allowed.includes(k)) {
      throw new ConfigError(`${key}.${k}`, `unknown key; allowed keys are ${allowed.join(", ")}`);
    }
  }
  return parsed;
}

function int(key: string, v: unknown, dflt: number, min: number, max: number): number {
  const raw = v === undefined ? dflt : typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof raw !== "number" || !Number.isInteger(raw)) throw new ConfigError(key, `must be an integer, got ${JSON.stringify(v)}`);
  if (raw < min || raw > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${raw}`);
  return raw;
}

function num(key: string, v: unknown, dflt: number, min: number, max: number): number {
  const raw = v === undefined ? dflt : typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof raw !== "number" || !Number.isFinite(raw)) throw new ConfigError(key, `must be a number, got ${JSON.stringify(v)}`);
  if (raw < min || raw > max) throw new ConfigError(key, `must be between ${min} and ${max}, got ${raw}`);
  return raw;
}

function str(key: string, v: unknown, dflt?: string): string {
  const raw = v === undefined ? dflt : v;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(key, "is required and must be a non-empty string");
  return raw;
}

function oneOf<T extends string>(key: string, v: unknown, allowed: readonly T[], dflt: T): T {
  const raw = v === undefined ? dflt : v;
  if (typeof raw !== "string" || !(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(key, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return raw as T;
}

function stringList(key: string, v: unknown, dflt: string[]): string[] {
  const raw = parseValue(key, v === undefined ? dflt : v);
  if (!Array.isArray(raw) || raw.some((h) => typeof h !== "string" || h.trim() === "")) {
    throw new ConfigError(key, "must be a list of non-empty strings");
  }
  return raw as string[];
}

function envMap(key: string, v: unknown): Record<string, string> {
  const raw = objectAt(key, v, Object.keys(isObject(v) ? v : {}));
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(raw)) {
    if (typeof val !== "string") throw new ConfigError(`${key}.${k}`, "environment values must be strings");
    env[k] = val;
  }
  return env;
}

const NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;

function parseService(name: string, v: unknown, hosts: string[], lbDefaults: { frontendPort: number; statsPort: number; index: number }): ServiceSpec {
  const key = `${NAMESPACE}:services.${name}`;
  if (!NAME_RE.test(name)) throw new ConfigError(key, "service names are lower-case letters, digits and '-', starting with a letter, at most 31 characters");
  const o = objectAt(key, v, SERVICE_KEYS);
  const replicas = int(`${key}.replicas`, o.replicas, 1, 1, 64);
  const sh = objectAt(`${key}.shadows`, o.shadows, SHADOW_KEYS);
  const rep = objectAt(`${key}.replication`, o.replication, REPLICATION_KEYS);
  const env = envMap(`${key}.env`, o.env);
  let store: StoreSpec | undefined;
  if (o.store !== undefined) {
    const so = objectAt(`${key}.store`, o.store, STORE_KEYS);
    store = {
      engine: oneOf(`${key}.store.engine`, so.engine, ["postgres"] as const, "postgres"),
      host: str(`${key}.store.host`, so.host, hosts[0]),
      port: int(`${key}.store.port`, so.port, 15432, 1024, 65535),
      database: str(`${key}.store.database`, so.database, name.replace(/-/g, "_")),
      user: str(`${key}.store.user`, so.user, "understudy"),
      schema: so.schema === undefined ? undefined : str(`${key}.store.schema`, so.schema),
    };
  }
  return {
    name,
    frontendPort: int(`${key}.frontendPort`, o.frontendPort, lbDefaults.frontendPort, 1024, 65535),
    statsPort: int(`${key}.statsPort`, o.statsPort, lbDefaults.statsPort, 1024, 65535),
    command: str(`${key}.command`, o.command),
    port: int(`${key}.port`, o.port, 18100, 1024, 65535),
    healthPath: str(`${key}.healthPath`, o.healthPath, "/healthz"),
    replicas,
    hosts: stringList(`${key}.hosts`, o.hosts, []),
    env,
    cpuCostMs: num(`${key}.cpuCostMs`, o.cpuCostMs, 0, 0, 10_000),
    consistency: oneOf(`${key}.consistency`, o.consistency, ["strong", "eventual"] as const, "strong"),
    store,
    shadows: {
      count: int(`${key}.shadows.count`, sh.count, 0, 0, 64),
      weightPercent: int(`${key}.shadows.weightPercent`, sh.weightPercent, 0, 0, 100),
      mirrorPercent: int(`${key}.shadows.mirrorPercent`, sh.mirrorPercent, 0, 0, 100),
      mirrorBodyCapBytes: int(`${key}.shadows.mirrorBodyCapBytes`, sh.mirrorBodyCapBytes, 65536, 0, 16 * 1024 * 1024),
      hosts: stringList(`${key}.shadows.hosts`, sh.hosts, []),
      env: envMap(`${key}.shadows.env`, sh.env),
    },
    replication: {
      mode: oneOf(`${key}.replication.mode`, rep.mode, ["sync", "async"] as const, "sync"),
      maxLagSeconds: num(`${key}.replication.maxLagSeconds`, rep.maxLagSeconds, 5, 0, 3600),
      // Consistency first, and the light driver by default: the stream driver runs a RabbitMQ broker.
      driver: oneOf(`${key}.replication.driver`, rep.driver, ["logical", "stream"] as const, "logical"),
      metricsPort: int(`${key}.replication.metricsPort`, rep.metricsPort, 19187 + lbDefaults.index, 1024, 65535),
      streamPort: int(`${key}.replication.streamPort`, rep.streamPort, 15552 + 3 * lbDefaults.index, 1024, 65533),
    },
  };
}

/**
 * Parse the `understudy:*` keys of a stack's config (values as the engine hands them: strings, or
 * JSON text for objects). Throws ConfigError on the first problem.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackSpec {
  for (const full of Object.keys(raw)) {
    const [ns, key] = full.includes(":") ? full.split(":", 2) : [NAMESPACE, full];
    if (ns !== NAMESPACE) continue; // other namespaces (aws:region, kubernetes:context) belong to providers
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${NAMESPACE}:${key}`, `unknown key; the program reads ${KNOWN_KEYS.map((k) => `${NAMESPACE}:${k}`).join(", ")}`);
    }
  }
  const get = (k: string): unknown => raw[`${NAMESPACE}:${k}`] ?? raw[k];
  const platform = oneOf(`${NAMESPACE}:platform`, get("platform"), PLATFORMS, "local");
  const hosts = stringList(`${NAMESPACE}:hosts`, get("hosts"), ["host-1", "host-2", "host-3", "host-4"]);
  if (hosts.length === 0) throw new ConfigError(`${NAMESPACE}:hosts`, "needs at least one host");
  if (new Set(hosts).size !== hosts.length) throw new ConfigError(`${NAMESPACE}:hosts`, "host names must be unique");
  if (platform === "local" && hosts.length > 254) throw new ConfigError(`${NAMESPACE}:hosts`, "the local platform has at most 254 hosts (127.0.1.1-254)");
  const lb = objectAt(`${NAMESPACE}:loadBalancer`, get("loadBalancer"), LB_KEYS);
  const pr = objectAt(`${NAMESPACE}:prometheus`, get("prometheus"), PROM_KEYS);
  const svcRaw = parseValue(`${NAMESPACE}:services`, get("services") ?? {});
  if (!isObject(svcRaw)) throw new ConfigError(`${NAMESPACE}:services`, "must be an object mapping service name to its spec");
  const loadBalancer: LoadBalancerSpec = {
    port: int(`${NAMESPACE}:loadBalancer.port`, lb.port, 18080, 1024, 65535),
    statsPort: int(`${NAMESPACE}:loadBalancer.statsPort`, lb.statsPort, 18404, 1024, 65535),
    checkIntervalMs: int(`${NAMESPACE}:loadBalancer.checkIntervalMs`, lb.checkIntervalMs, 1000, 100, 60_000),
    retries: int(`${NAMESPACE}:loadBalancer.retries`, lb.retries, 2, 0, 10),
    threads: int(`${NAMESPACE}:loadBalancer.threads`, lb.threads, 0, 0, 64),
  };
  const services = Object.entries(svcRaw).map(([name, v], i) =>
    parseService(name, v, hosts, { frontendPort: loadBalancer.port + i, statsPort: loadBalancer.statsPort + i, index: i }),
  );
  if (services.length === 0) throw new ConfigError(`${NAMESPACE}:services`, "declare at least one service");
  const spec: StackSpec = {
    platform,
    hosts,
    loadBalancer,
    prometheus: {
      port: int(`${NAMESPACE}:prometheus.port`, pr.port, 19090, 1024, 65535),
      scrapeIntervalSeconds: int(`${NAMESPACE}:prometheus.scrapeIntervalSeconds`, pr.scrapeIntervalSeconds, 2, 1, 5),
      retentionHours: int(`${NAMESPACE}:prometheus.retentionHours`, pr.retentionHours, 24, 1, 24 * 90),
    },
    services,
  };
  validatePlacementAndPorts(spec);
  return spec;
}

export interface Placement {
  live: string[];
  shadows: string[];
  /**
   * Every host a shadow of this service may run on, in the order shadows fill them (shadows is its
   * prefix). Load balancers keep a standing slot per host, so a shadow count change needs no reload.
   */
  shadowSlots: string[];
}

/**
 * Where each instance of a service runs. Shadows never share a host with a live instance of the same
 * service: an understudy that dies with the lead is no understudy.
 */
export function placeService(svc: ServiceSpec, hosts: string[]): Placement {
  const key = `${NAMESPACE}:services.${svc.name}`;
  for (const h of [...svc.hosts, ...svc.shadows.hosts]) {
    if (!hosts.includes(h)) throw new ConfigError(`${key}`, `host '${h}' is not declared in ${NAMESPACE}:hosts (${hosts.join(", ")})`);
  }
  if (svc.hosts.length === 0 && hosts.length < svc.replicas) {
    throw new ConfigError(`${key}.replicas`, `needs ${svc.replicas} hosts (one live instance per host) but only ${hosts.length} are declared in ${NAMESPACE}:hosts`);
  }
  const live = svc.hosts.length > 0 ? svc.hosts : hosts.slice(0, svc.replicas);
  if (live.length !== svc.replicas) {
    throw new ConfigError(`${key}.hosts`, `lists ${live.length} hosts but replicas is ${svc.replicas}; one live instance per host`);
  }
  if (new Set(live).size !== live.length) throw new ConfigError(`${key}.hosts`, "two live instances of one service cannot share a host");
  let shadows = svc.shadows.hosts.slice(0, svc.shadows.count);
  const free = hosts.filter((h) => !live.includes(h));
  if (svc.shadows.hosts.length === 0) {
    if (free.length < svc.shadows.count) {
      throw new ConfigError(
        `${key}.shadows.count`,
        `${svc.shadows.count} shadows need ${svc.shadows.count} hosts without a live instance of '${svc.name}', but only ${free.length} exist (${free.join(", ") || "none"}); add hosts to ${NAMESPACE}:hosts or lower the count`,
      );
    }
    shadows = free.slice(0, svc.shadows.count);
  } else if (svc.shadows.hosts.length < svc.shadows.count) {
    throw new ConfigError(`${key}.shadows.hosts`, `lists ${svc.shadows.hosts.length} hosts but shadows.count is ${svc.shadows.count}`);
  }
  const clash = shadows.filter((h) => live.includes(h));
  if (clash.length > 0) {
    throw new ConfigError(`${key}.shadows.hosts`, `shadow on ${clash.join(", ")} would share a host with a live instance of '${svc.name}'; pick hosts without one`);
  }
  if (new Set(shadows).size !== shadows.length) throw new ConfigError(`${key}.shadows.hosts`, "two shadows of one service cannot share a host");
  const shadowSlots = svc.shadows.hosts.length > 0 ? svc.shadows.hosts.filter((h) => !live.includes(h)) : free;
  return { live, shadows, shadowSlots };
}

/** Local platform: host i (from 0) is 127.0.1.(i+1). Other platforms map hosts to nodes or zones. */
export function hostAddress(hosts: string[], host: string): string {
  const i = hosts.indexOf(host);
  if (i < 0) throw new ConfigError(`${NAMESPACE}:hosts`, `host '${host}' is not declared`);
  return `127.0.1.${i + 1}`;
}

function validatePlacementAndPorts(spec: StackSpec): void {
  // Every listening socket, as address:port → who owns it; a clash is reported with both owners.
  const owners = new Map<string, string>();
  const claim = (addr: string, port: number, who: string, key: string): void => {
    const sock = `${addr}:${port}`;
    const prev = owners.get(sock);
    if (prev) throw new ConfigError(key, `${who} and ${prev} both listen on ${sock}; give one of them another port`);
    owners.set(sock, who);
  };
  const lo = "127.0.0.1";
  claim(lo, spec.prometheus.port, "prometheus", `${NAMESPACE}:prometheus.port`);
  for (const svc of spec.services) {
    const p = placeService(svc, spec.hosts);
    const key = `${NAMESPACE}:services.${svc.name}`;
    claim(lo, svc.frontendPort, `the load balancer of '${svc.name}'`, `${key}.frontendPort`);
    claim(lo, svc.statsPort, `the load balancer stats of '${svc.name}'`, `${key}.statsPort`);
    for (const h of [...p.live, ...p.shadows]) {
      claim(hostAddress(spec.hosts, h), svc.port, `service '${svc.name}' on ${h}`, `${key}.port`);
      // port + 1 answers the load balancer's agent checks (CPU drain).
      claim(hostAddress(spec.hosts, h), svc.port + 1, `the load agent of '${svc.name}' on ${h}`, `${key}.port`);
    }
    if (svc.store) {
      if (!spec.hosts.includes(svc.store.host)) throw new ConfigError(`${key}.store.host`, `host '${svc.store.host}' is not declared in ${NAMESPACE}:hosts`);
      claim(hostAddress(spec.hosts, svc.store.host), svc.store.port, `the store of '${svc.name}' on ${svc.store.host}`, `${key}.store.port`);
      validateReplication(svc, p, spec.hosts, claim);
    }
  }
}

/** Hosts whose stores replicate from the primary: every shadow host but the primary's own. */
export function replicaHosts(svc: ServiceSpec, placement: Placement): string[] {
  return svc.store ? placement.shadows.filter((h) => h !== svc.store?.host) : [];
}

function validateReplication(svc: ServiceSpec, p: Placement, hosts: string[], claim: (addr: string, port: number, who: string, key: string) => void): void {
  const key = `${NAMESPACE}:services.${svc.name}`;
  const replicas = replicaHosts(svc, p);
  if (replicas.length === 0) return;
  // Replication copies the tables the stack manages; without them a shadow's store would stay empty.
  if (!svc.store?.schema) {
    throw new ConfigError(`${key}.store.schema`, "is required when the service has shadows: the DDL (a .sql path or the SQL itself) applied to the primary and to every shadow's store");
  }
  for (const h of replicas) claim(hostAddress(hosts, h), svc.store.port, `the store of '${svc.name}' on ${h} (shadow replica)`, `${key}.store.port`);
  const lo = "127.0.0.1";
  claim(lo, svc.replication.metricsPort, `the replication exporter of '${svc.name}'`, `${key}.replication.metricsPort`);
  if (svc.replication.driver === "stream") {
    const sp = svc.replication.streamPort;
    claim(lo, sp, `the change-stream broker of '${svc.name}'`, `${key}.replication.streamPort`);
    claim(lo, sp + 1, `the change-stream broker's Erlang distribution of '${svc.name}'`, `${key}.replication.streamPort`);
    claim(lo, sp + 2, `the change-stream broker's epmd of '${svc.name}'`, `${key}.replication.streamPort`);
    // The publisher on the primary's host and a consumer on each shadow host answer health checks there.
    claim(hostAddress(hosts, svc.store.host), sp + 3, `the change publisher of '${svc.name}' on ${svc.store.host}`, `${key}.replication.streamPort`);
    for (const h of replicas) claim(hostAddress(hosts, h), sp, `the change consumer of '${svc.name}' on ${h}`, `${key}.replication.streamPort`);
  }
}
