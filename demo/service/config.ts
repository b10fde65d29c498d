// Demo service configuration: parsed from the environment, pure (no I/O), every bad value reported
// with the name of the variable that holds it.
import * as os from "node:os";

export type Role = "live" | "shadow";
export const ROLES: readonly Role[] = ["live", "shadow"];

export interface ServiceConfig {
  host: string;
  port: number;
  role: Role;
  service: string;
  instance: string;
  hostLabel: string;
  /** The store this instance reads: a shadow's own replica, or the primary. */
  databaseUrl: string;
  /**
   * The primary store (PRIMARY_DATABASE_URL): where a live instance reads and writes. A shadow switches
   * to it when promoted in place; absent, a live instance uses DATABASE_URL.
   */
  primaryDatabaseUrl?: string;
  /** Where the role set through POST /admin/role is kept, so that a restart keeps it (UNDERSTUDY_ROLE_FILE). */
  roleFile?: string;
  cpuCostMs: number;
  faultErrorRate: number;
  faultDelayMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === "" ? undefined : t;
}

function num(env: Env, name: string, def: number, min: number, max: number, integer = false): number {
  const raw = str(env, name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ConfigError(name, `expected a number, got ${JSON.stringify(raw)}`);
  if (integer && !Number.isInteger(n)) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(raw)}`);
  if (n < min || n > max) throw new ConfigError(name, `expected a value in [${min}, ${max}], got ${raw}`);
  return n;
}

export function parseRole(value: string, variable = "UNDERSTUDY_ROLE"): Role {
  const r = value.trim().toLowerCase();
  if (r === "live" || r === "shadow") return r;
  throw new ConfigError(variable, `expected "live" or "shadow", got ${JSON.stringify(value)}`);
}

const LABEL_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

function label(env: Env, name: string, def: string): string {
  const v = str(env, name) ?? def;
  if (!LABEL_RE.test(v)) throw new ConfigError(name, `expected 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(v)}`);
  return v;
}

export function parseDatabaseUrl(raw: string | undefined): string {
  if (raw === undefined) {
    throw new ConfigError("DATABASE_URL", "is required (e.g. postgres://user:password@127.0.0.1:5432/db)");
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError("DATABASE_URL", "is not a valid URL (expected postgres://user:password@host:port/db)");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new ConfigError("DATABASE_URL", `expected scheme postgres:// or postgresql://, got ${u.protocol}//`);
  }
  if (u.hostname === "" && !u.searchParams.has("host")) throw new ConfigError("DATABASE_URL", "has no host");
  return raw;
}

/** Host to bind: an IPv4/IPv6 literal or a host name; no scheme, no port. */
function bindHost(env: Env): string {
  const h = str(env, "HOST") ?? "127.0.0.1";
  if (!/^[A-Za-z0-9.:-]+$/.test(h)) throw new ConfigError("HOST", `expected an address such as 127.0.1.2, got ${JSON.stringify(h)}`);
  return h;
}

export function parseConfig(env: Env = process.env): ServiceConfig {
  const host = bindHost(env);
  const port = num(env, "PORT", 8080, 0, 65535, true);
  const roleRaw = str(env, "UNDERSTUDY_ROLE");
  const role = roleRaw === undefined ? "live" : parseRole(roleRaw);
  const service = label(env, "UNDERSTUDY_SERVICE", "demo");
  const hostLabel = label(env, "UNDERSTUDY_HOST", os.hostname().slice(0, 128) || "localhost");
  const instance = label(env, "UNDERSTUDY_INSTANCE", `${service}-${host}-${port}`.replace(/[^A-Za-z0-9_.:-]/g, "_"));
  const databaseUrl = parseDatabaseUrl(str(env, "DATABASE_URL"));
  const primaryRaw = str(env, "PRIMARY_DATABASE_URL");
  let primaryDatabaseUrl: string | undefined;
  try {
    primaryDatabaseUrl = primaryRaw === undefined ? undefined : parseDatabaseUrl(primaryRaw);
  } catch (e) {
    throw new ConfigError("PRIMARY_DATABASE_URL", (e as ConfigError).message.replace(/^DATABASE_URL: /, ""));
  }
  const roleFile = str(env, "UNDERSTUDY_ROLE_FILE");
  const cpuCostMs = num(env, "CPU_COST_MS", 0, 0, 10_000);
  const faultErrorRate = num(env, "FAULT_ERROR_RATE", 0, 0, 1);
  const faultDelayMs = num(env, "FAULT_DELAY_MS", 0, 0, 60_000);
  return { host, port, role, service, instance, hostLabel, databaseUrl, primaryDatabaseUrl, roleFile, cpuCostMs, faultErrorRate, faultDelayMs };
}

/** The store a role uses: live writes the primary (when one is named), a shadow reads its own. */
export function storeUrlFor(config: Pick<ServiceConfig, "databaseUrl" | "primaryDatabaseUrl">, role: Role): string {
  return role === "live" ? (config.primaryDatabaseUrl ?? config.databaseUrl) : config.databaseUrl;
}

/** What POST /admin/role leaves in UNDERSTUDY_ROLE_FILE. */
export interface SavedRole {
  role: Role;
  instance: string;
}

/**
 * The role and instance name to start with: the saved ones (a role changed in place survives a restart
 * by the supervisor) over the environment's. Pure: the caller reads the file; a malformed one is ignored.
 */
export function withSavedRole(config: ServiceConfig, saved: string | undefined): ServiceConfig {
  if (saved === undefined) return config;
  try {
    const s = JSON.parse(saved) as Partial<SavedRole>;
    const role = typeof s.role === "string" ? parseRole(s.role, "UNDERSTUDY_ROLE_FILE") : config.role;
    const instance = typeof s.instance === "string" && LABEL_RE.test(s.instance) ? s.instance : config.instance;
    return { ...config, role, instance };
  } catch {
    return config;
  }
}
