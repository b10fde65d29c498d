// ReplicationStream: change data capture from a service's live store to every shadow's own store.
// The managed schema is read and checked here, at preview, so a table logical replication cannot
// carry stops the stack before anything is created; the platform does the rest.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, NAMESPACE, ServiceSpec } from "./config";
import { ManagedSchema, Platform, Store } from "./platform";

/** Compiled to dist/components/: the project root (where a schema path is resolved) is two levels up. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export interface SchemaTables {
  /** Every table the SQL creates, as written (unquoted names lower-cased). */
  tables: string[];
  /** Those without a primary key or an explicit replica identity. */
  keyless: string[];
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const NAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;

function normalizeName(raw: string): string {
  return raw
    .split(/\s*\.\s*/)
    .map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.toLowerCase()))
    .join(".");
}

/** Comments removed, string literals emptied: what is left is structure. */
function skeleton(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .replace(/'(?:[^']|'')*'/g, "''");
}

/** The parenthesised body starting at `open` (an index of "("), nesting included. */
function bodyAt(s: string, open: number): string {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return s.slice(open + 1, i);
  }
  return s.slice(open + 1);
}

/**
 * The tables a schema creates and which of them lack a replica identity (logical replication needs
 * one to carry updates and deletes). Pure; a light parser for DDL, not a SQL grammar.
 */
export function schemaTables(sql: string): SchemaTables {
  const s = skeleton(sql);
  const tables: string[] = [];
  const keyed = new Set<string>();
  const create = new RegExp(String.raw`\bcreate\s+(?:(?:global|local)\s+)?(?:(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?${NAME}\s*(\()?`, "gi");
  for (const m of s.matchAll(create)) {
    const name = normalizeName(m[1]);
    if (!tables.includes(name)) tables.push(name);
    if (m[2] && /\bprimary\s+key\b/i.test(bodyAt(s, (m.index ?? 0) + m[0].length - 1))) keyed.add(name);
  }
  const alter = new RegExp(String.raw`\balter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?${NAME}([^;]*)`, "gi");
  for (const m of s.matchAll(alter)) {
    if (/\bprimary\s+key\b|\breplica\s+identity\s+(?:full|using\s+index)\b/i.test(m[2])) keyed.add(normalizeName(m[1]));
  }
  return { tables, keyless: tables.filter((t) => !keyed.has(t)) };
}

/** store.schema: a .sql path (relative to the project root) or the SQL itself, checked for replication. */
export function loadSchema(svc: ServiceSpec, root = PROJECT_ROOT): ManagedSchema {
  const key = `${NAMESPACE}:services.${svc.name}.store.schema`;
  const value = svc.store?.schema;
  if (!value) throw new ConfigError(key, "is required to replicate: the DDL of the tables to copy to the shadows");
  let sql = value;
  if (/\.sql$/i.test(value.trim())) {
    const file = path.resolve(root, value.trim());
    if (!fs.existsSync(file)) throw new ConfigError(key, `file ${file} does not exist`);
    sql = fs.readFileSync(file, "utf8");
  }
  const { tables, keyless } = schemaTables(sql);
  if (tables.length === 0) throw new ConfigError(key, "creates no table (expected CREATE TABLE statements)");
  if (keyless.length > 0) {
    throw new ConfigError(
      key,
      `table ${keyless.map((t) => `'${t}'`).join(", ")} has no primary key: logical replication needs a replica identity to carry updates and deletes; add a primary key (or ALTER TABLE ... REPLICA IDENTITY FULL)`,
    );
  }
  return { sql, tables };
}

export interface ReplicationStreamArgs {
  service: ServiceSpec;
  primary: Store;
  primaryHost: string;
  /** One store per shadow host (never the primary's host). */
  replicas: { host: string; store: Store }[];
  platform: Platform;
}

/** CDC from the live store to each shadow's store; mode sync (≥1 shadow confirms each commit) or async. */
export class ReplicationStream extends pulumi.ComponentResource {
  /** Live instances wait for this in sync mode: no acknowledged write before a shadow protects it. */
  readonly ready: pulumi.Resource[];
  readonly replicaHosts: pulumi.Output<string[]>;

  constructor(name: string, args: ReplicationStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:ReplicationStream", name, {}, opts);
    const svc = args.service;
    const schema = loadSchema(svc);
    const handle = args.platform.replication({ service: svc, primary: args.primary, primaryHost: args.primaryHost, replicas: args.replicas, schema }, this);
    this.ready = handle.ready;
    this.replicaHosts = pulumi.output(args.replicas.map((r) => r.host));
    this.registerOutputs({
      primaryHost: args.primaryHost,
      replicaHosts: this.replicaHosts,
      mode: svc.replication.mode,
      driver: svc.replication.driver,
      tables: schema.tables,
    });
  }
}
