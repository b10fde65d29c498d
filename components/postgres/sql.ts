// PostgreSQL vocabulary shared by the replication providers, the lag exporter and the promotion
// module: names, quoting, connection strings and the catalog queries they all rely on.
import { Client } from "pg";

/** The PostgreSQL name of a service's publication (one per primary). */
export function publicationName(service: string): string {
  return `understudy_${service.replace(/-/g, "_")}`;
}

/** Subscription (and slot, and application_name) of one shadow host's replica. */
export function subscriptionName(service: string, host: string): string {
  return `understudy_${service}_${host}`.replace(/[^a-z0-9_]/gi, "_").toLowerCase().slice(0, 63);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `public.orders` or `orders` → a quoted, schema-qualified name. */
export function qualified(table: string): string {
  const [schema, name] = table.includes(".") ? table.split(".", 2) : ["public", table];
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** libpq conninfo for CREATE SUBSCRIPTION, from a postgres:// URL (values quoted for libpq). */
export function conninfo(url: string): string {
  const u = new URL(url);
  const q = (v: string): string => `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const parts = {
    host: u.hostname,
    port: u.port || "5432",
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbname: decodeURIComponent(u.pathname.replace(/^\//, "")),
    connect_timeout: "5",
  };
  return Object.entries(parts)
    .map(([k, v]) => `${k}=${q(v)}`)
    .join(" ");
}

/** Where a URL points, without its credentials: for messages and logs. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port}${u.pathname}`;
}

/**
 * synchronous_standby_names for a mode: sync = at least one of the subscriptions confirms each commit
 * (ANY 1, quorum), async = nobody is waited for.
 */
export function standbyNames(mode: "sync" | "async", subscriptions: string[]): string {
  if (mode === "async" || subscriptions.length === 0) return "";
  return `ANY 1 (${subscriptions.map(quoteIdent).join(", ")})`;
}

export interface ConnectOptions {
  timeoutMs?: number;
  applicationName?: string;
}

/** Connect, or fail with the server's reason and where, never with the password. */
export async function connect(url: string, o: ConnectOptions = {}): Promise<Client> {
  const c = new Client({
    connectionString: url,
    connectionTimeoutMillis: o.timeoutMs ?? 3000,
    application_name: o.applicationName ?? "understudy-replication",
  });
  // A server that dies under an idle client emits 'error'; the next query reports it instead.
  c.on("error", () => undefined);
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${describeUrl(url)}: ${(e as Error).message}`);
  }
  return c;
}

export async function withClient<T>(url: string, f: (c: Client) => Promise<T>, o: ConnectOptions = {}): Promise<T> {
  const c = await connect(url, o);
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Tables (of `tables`) that logical replication cannot carry updates and deletes for: no primary
 * key and no other replica identity. Missing tables are reported too.
 */
export async function tablesWithoutIdentity(c: Client, tables: string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const t of tables) {
    const r = await c.query<{ ident: string | null; haspk: boolean }>(
      `SELECT c.relreplident AS ident,
              EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS haspk
         FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [qualified(t)],
    );
    const row = r.rows[0];
    if (!row) bad.push(`${t} (missing)`);
    else if (row.ident === "n" || (row.ident === "d" && !row.haspk)) bad.push(t);
  }
  return bad;
}

/** Columns, types, nullability and primary keys of the tables: equal fingerprints = same schema. */
export async function schemaFingerprint(c: Client, tables: string[]): Promise<string> {
  const r = await c.query<{ line: string }>(
    `SELECT format('%s.%s %s %s %s %s', n.nspname, cl.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   COALESCE((SELECT 'pk' FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary AND a.attnum = ANY(i.indkey)), '')) AS line
       FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE cl.oid = ANY($1::regclass[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY n.nspname, cl.relname, a.attnum`,
    [tables.map(qualified)],
  );
  return r.rows.map((x) => x.line).join("\n");
}

/** Rows in any of the tables (a fresh subscription must start from empty tables). */
export async function hasRows(c: Client, tables: string[]): Promise<boolean> {
  for (const t of tables) {
    const r = await c.query(`SELECT 1 FROM ${qualified(t)} LIMIT 1`);
    if ((r.rowCount ?? 0) > 0) return true;
  }
  return false;
}

/** pg_lsn text (e.g. 0/16B3748) → a number of bytes, for arithmetic and comparison. */
export function lsnToBigInt(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

export function bigIntToLsn(n: bigint): string {
  return `${(n >> 32n).toString(16).toUpperCase()}/${(n & 0xffffffffn).toString(16).toUpperCase()}`;
}

/**
 * Drop a subscription without needing its publisher (which may be dead): detach the slot first, then
 * drop the slot on the publisher when it still answers, so it does not hold WAL forever.
 */
export async function dropSubscription(replicaUrl: string, subscription: string, publisherUrl?: string): Promise<void> {
  await withClient(replicaUrl, async (c) => {
    const exists = await c.query("SELECT 1 FROM pg_subscription WHERE subname = $1", [subscription]);
    if ((exists.rowCount ?? 0) === 0) return;
    const s = quoteIdent(subscription);
    await c.query(`ALTER SUBSCRIPTION ${s} DISABLE`);
    await c.query(`ALTER SUBSCRIPTION ${s} SET (slot_name = NONE)`);
    await c.query(`DROP SUBSCRIPTION ${s}`);
  });
  if (publisherUrl) await dropSlot(publisherUrl, subscription).catch(() => undefined);
}

/** Drop a replication slot once its consumer has let go of it (a walsender exits asynchronously). */
export async function dropSlot(url: string, slot: string): Promise<void> {
  await withClient(
    url,
    async (c) => {
      for (let i = 0; i < 50; i++) {
        const r = await c.query<{ active: boolean }>("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot]);
        if (r.rows.length === 0) return;
        if (!r.rows[0].active) {
          await c.query("SELECT pg_drop_replication_slot($1)", [slot]);
          return;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`replication slot ${slot} is still in use`);
    },
    { timeoutMs: 2000 },
  );
}
