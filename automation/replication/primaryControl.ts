// What promotion does to the stores themselves, in SQL: fence the old primary, mark the end of its
// history, carry sequences over (logical replication does not) and open the new one for writes.
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { lsnToBigInt, qualified, quoteIdent, schemaFingerprint, withClient } from "../../components/postgres/sql";
import { FenceMarker } from "./driver";

const CONTROL = { timeoutMs: 2000, applicationName: "understudy-promotion" };

async function setReadOnly(c: Client, on: boolean): Promise<void> {
  await c.query(on ? "ALTER SYSTEM SET default_transaction_read_only = on" : "ALTER SYSTEM RESET default_transaction_read_only");
  await c.query("SELECT pg_reload_conf()");
}

/**
 * No new writes: every new transaction is read-only, and the sessions that could still be writing
 * are ended and gone (a session that was mid-commit finishes before we return, so its commit, if it
 * was acknowledged, lies before the fence marker).
 */
export async function fence(url: string): Promise<void> {
  await withClient(
    url,
    async (c) => {
      await setReadOnly(c, true);
      // Sessions opened from now on are read-only; those opened before may still write: end them
      // and wait until they are gone (new ones, reconnecting, are harmless).
      const before = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
      const pids = before.rows.map((r) => r.pid);
      await c.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [pids]);
      for (let i = 0; i < 100; i++) {
        const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])", [pids]);
        if (Number(r.rows[0].n) === 0) return;
        await new Promise((res) => setTimeout(res, 20));
      }
      throw new Error("client sessions on the old primary did not end within 2 s");
    },
    CONTROL,
  );
}

/** Undo a fence (a refused promotion leaves the primary as it was). */
export async function unfence(url: string): Promise<void> {
  await withClient(url, (c) => setReadOnly(c, false), CONTROL);
}

/**
 * A WAL record after every acknowledged write of a fenced primary: a replica that applied past it
 * has everything (the stream driver carries it to the consumers, which record its token).
 */
export async function fenceMarker(url: string): Promise<FenceMarker> {
  const token = randomUUID();
  return withClient(
    url,
    async (c) => {
      await c.query("BEGIN READ WRITE");
      const r = await c.query<{ lsn: string }>("SELECT pg_logical_emit_message(false, 'understudy-fence', $1)::text AS lsn", [token]);
      await c.query("COMMIT");
      return { lsn: lsnToBigInt(r.rows[0].lsn), token };
    },
    CONTROL,
  );
}

/** Allow writes on the promoted store, and wait until a new session sees it writable. */
export async function allowWrites(url: string): Promise<void> {
  await withClient(url, (c) => setReadOnly(c, false), CONTROL);
  for (let i = 0; i < 100; i++) {
    const ro = await withClient(url, (c) => c.query<{ ro: string; rec: boolean }>("SELECT current_setting('transaction_read_only') AS ro, pg_is_in_recovery() AS rec"), CONTROL);
    if (ro.rows[0].ro === "off" && !ro.rows[0].rec) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error("the promoted store still refuses writes");
}

export interface SequenceMove {
  sequence: string;
  value: number;
}

/**
 * Set every sequence owned by a managed table past the highest value replicated into its column
 * (and past the old primary's own counter when it still answers), so new rows never collide.
 */
export async function advanceSequences(url: string, tables: string[], oldPrimaryUrl?: string): Promise<SequenceMove[]> {
  return withClient(
    url,
    async (c) => {
      const owned = await c.query<{ seq: string; tbl: string; col: string }>(
        `SELECT format('%I.%I', sn.nspname, s.relname) AS seq, format('%I.%I', tn.nspname, t.relname) AS tbl, a.attname AS col
           FROM pg_depend d
           JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
           JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
          WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
            AND t.oid = ANY($1::regclass[])`,
        [tables.map(qualified)],
      );
      const moves: SequenceMove[] = [];
      for (const o of owned.rows) {
        const m = await c.query<{ v: string | null }>(`SELECT max(${quoteIdent(o.col)})::text AS v FROM ${o.tbl}`);
        let value = Number(m.rows[0].v ?? 0);
        if (oldPrimaryUrl) {
          const old = await withClient(oldPrimaryUrl, (p) => p.query<{ v: string }>(`SELECT last_value::text AS v FROM ${o.seq}`), CONTROL).catch(() => undefined);
          if (old) value = Math.max(value, Number(old.rows[0].v));
        }
        if (value > 0) {
          await c.query("SELECT setval($1::regclass, $2, true)", [o.seq, value]);
          moves.push({ sequence: o.seq, value });
        }
      }
      return moves;
    },
    CONTROL,
  );
}

export async function fingerprint(url: string, tables: string[]): Promise<string> {
  return withClient(url, (c) => schemaFingerprint(c, tables), CONTROL);
}
