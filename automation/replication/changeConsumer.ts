// A shadow's consumer of the change stream (stream driver): copies the tables from the primary once,
// then applies every transaction of the stream in order, idempotently (upserts by primary key,
// entries at or below the applied LSN skipped), recording offset and LSN in the same transaction.
// An apply error is counted and stops the consumer (the supervisor retries): never skipped.
// Environment: HOST, PORT (health), UNDERSTUDY_CHANGE_STREAM (secret JSON; replicas = this store).
import * as http from "node:http";
import { Client } from "pg";
import { qualified, quoteIdent } from "../../components/postgres/sql";
import { APPLIED_CHANNEL, ChangeStreamConfig, log, readConfig } from "./changeStreamConfig";
import { Change, StreamEntry } from "./pgoutput";
import { connectBroker, Offset } from "./streamClient";
import { POSITION_DDL, readPosition } from "./streamPosition";

const BATCH = 500;

/** First start on this stream: a full copy, from empty tables, then the position before the first entry. */
async function initialCopy(cfg: ChangeStreamConfig, replica: Client): Promise<void> {
  const primary = new Client({ connectionString: cfg.primaryUrl, application_name: "understudy-cdc-copy" });
  await primary.connect();
  try {
    await replica.query("BEGIN");
    await replica.query(`TRUNCATE ${cfg.tables.map(qualified).join(", ")}`);
    for (const t of cfg.tables) {
      const rows = await primary.query<{ r: string }>(`SELECT coalesce(json_agg(x), '[]')::text AS r FROM ${qualified(t)} x`);
      await replica.query(`INSERT INTO ${qualified(t)} SELECT * FROM json_populate_recordset(null::${qualified(t)}, $1::json)`, [rows.rows[0].r]);
    }
    await replica.query(`INSERT INTO understudy.cdc_position (stream, "offset", lsn) VALUES ($1, -1, 0)`, [cfg.stream]);
    await replica.query("COMMIT");
  } catch (e) {
    await replica.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    await primary.end();
  }
}

async function apply(c: Client, ch: Change): Promise<void> {
  const t = qualified(ch.table);
  const keyMatch = (alias: string): string => ch.keys.map((k) => `${t}.${quoteIdent(k)} = ${alias}.${quoteIdent(k)}`).join(" AND ");
  if (ch.op === "truncate") {
    await c.query(`TRUNCATE ${t}`);
  } else if (ch.op === "delete") {
    await c.query(`DELETE FROM ${t} USING json_populate_record(null::${t}, $1::json) AS k WHERE ${keyMatch("k")}`, [JSON.stringify(ch.row)]);
  } else {
    if (ch.old) await c.query(`DELETE FROM ${t} USING json_populate_record(null::${t}, $1::json) AS k WHERE ${keyMatch("k")}`, [JSON.stringify(ch.old)]);
    const set = Object.keys(ch.row).map((col) => `${quoteIdent(col)} = EXCLUDED.${quoteIdent(col)}`);
    await c.query(
      `INSERT INTO ${t} SELECT * FROM json_populate_record(null::${t}, $1::json)
         ON CONFLICT (${ch.keys.map(quoteIdent).join(", ")}) DO ${set.length > 0 ? `UPDATE SET ${set.join(", ")}` : "NOTHING"}`,
      [JSON.stringify(ch.row)],
    );
  }
}

async function main(): Promise<void> {
  const cfg = readConfig();
  const own = cfg.replicas[0];
  let state: "copying" | "consuming" | "detached" = "copying";
  const health = http.createServer((_req, res) => res.writeHead(state === "copying" ? 503 : 200).end(`${state}\n`));
  health.listen(Number(process.env.PORT), process.env.HOST);

  const replica = new Client({ connectionString: own.url, application_name: "understudy-cdc-consumer" });
  replica.on("error", (e) => {
    log("error", "replica connection lost", { error: e.message });
    process.exit(1);
  });
  await replica.connect();
  await replica.query(POSITION_DDL);
  let pos = await readPosition(replica, cfg.stream);
  if (!pos) {
    await initialCopy(cfg, replica);
    pos = await readPosition(replica, cfg.stream);
  }
  if (!pos) throw new Error("no position after the initial copy");
  if (pos.detached) {
    state = "detached";
    log("info", "detached: this store was promoted, nothing more to apply", { stream: cfg.stream });
    return;
  }
  let lsn = pos.lsn;
  const queue: { offset: bigint; entry: StreamEntry }[] = [];
  let busy = false;

  const drain = async (): Promise<void> => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue.splice(0, BATCH);
    try {
      await replica.query("BEGIN");
      const lock = await replica.query<{ detached: boolean }>("SELECT detached FROM understudy.cdc_position WHERE stream = $1 FOR UPDATE", [cfg.stream]);
      if (lock.rows[0]?.detached) {
        await replica.query("ROLLBACK");
        state = "detached";
        queue.length = 0;
        log("info", "detached: stopped applying", { stream: cfg.stream, lsn: lsn.toString() });
        return;
      }
      let last = batch[batch.length - 1];
      let marker: string | undefined;
      let commitTime: string | undefined;
      for (const m of batch) {
        const at = BigInt(m.entry.lsn);
        if (at <= lsn) continue; // delivered again after a restart: applied already
        for (const ch of m.entry.changes ?? []) await apply(replica, ch);
        if (m.entry.marker !== undefined) marker = m.entry.marker;
        commitTime = m.entry.time;
        lsn = at;
        last = m;
      }
      await replica.query(
        `UPDATE understudy.cdc_position SET "offset" = $2, lsn = $3, commit_time = coalesce($4::timestamptz, commit_time), applied_at = now(), marker = coalesce($5, marker) WHERE stream = $1`,
        [cfg.stream, last.offset.toString(), lsn.toString(), commitTime ?? null, marker ?? null],
      );
      await replica.query("SELECT pg_notify($1, $2)", [APPLIED_CHANNEL, lsn.toString()]);
      await replica.query("COMMIT");
    } catch (e) {
      await replica.query("ROLLBACK").catch(() => undefined);
      await replica.query("UPDATE understudy.cdc_position SET apply_errors = apply_errors + 1 WHERE stream = $1", [cfg.stream]).catch(() => undefined);
      log("error", "apply failed: stopping (the supervisor retries from the same offset)", { error: (e as Error).message, offset: batch[0].offset.toString() });
      process.exit(1);
    } finally {
      busy = false;
    }
    setImmediate(() => void drain());
  };

  const broker = await connectBroker(cfg.broker);
  await broker.declareConsumer({ stream: cfg.stream, offset: pos.offset < 0n ? Offset.first() : Offset.offset(pos.offset + 1n) }, (msg) => {
    if (state === "detached") return;
    queue.push({ offset: msg.offset ?? 0n, entry: JSON.parse(msg.content.toString("utf8")) as StreamEntry });
    void drain();
  });
  state = "consuming";
  log("info", "consuming", { stream: cfg.stream, from: pos.offset.toString(), lsn: lsn.toString() });
  const stop = (): void => {
    void broker.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  log("error", "consumer failed", { error: (e as Error).message });
  process.exit(1);
});
