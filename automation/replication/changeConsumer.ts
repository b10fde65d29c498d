// A shadow's consumer of the change stream (stream driver): copies the tables from the primary once,
// then applies every transaction of the stream in order, idempotently (upserts by primary key,
// entries at or below the applied LSN skipped), recording offset and LSN in the same transaction.
// An apply error is counted and stops the consumer (the supervisor retries): never skipped.
// Environment: HOST, PORT (health), UNDERSTUDY_CHANGE_STREAM (secret JSON; replicas = this store).
import * as http from "node:http";
import { Client, QueryResult } from "pg";
import { qualified } from "../../components/postgres/sql";
import { applyScript } from "./applyPlan";
import { APPLIED_CHANNEL, ChangeStreamConfig, log, readConfig } from "./changeStreamConfig";
import { Change, StreamEntry } from "./pgoutput";
import { connectBroker, Offset } from "./streamClient";
import { POSITION_DDL, readPosition } from "./streamPosition";

const BATCH = 500;
/** Entries held in memory before the consumer stops taking chunks: a shadow far behind reads the stream at its own pace. */
const HIGH_WATER = BATCH * 4;
const STATS_MS = 10_000;

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
  // Async mode, as the logical driver's subscriptions: the apply does not wait for the shadow's WAL
  // flush. Safe: the position commits in the same transaction, so a shadow that crashes loses its
  // last applies and their position together, and the stream delivers them again. Sync mode waits:
  // the primary's commit counts on what this shadow said it applied.
  if (cfg.mode === "async") await replica.query("SET synchronous_commit = off");
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
  // Throughput, logged every STATS_MS while entries flow: how an operator sees a shadow keeping up.
  const stats = { entries: 0, batches: 0, applyMs: 0, maxDeliveryMs: 0 };
  setInterval(() => {
    if (stats.batches === 0) return;
    log("info", "applied", { entriesPerSecond: Math.round((stats.entries * 1000) / STATS_MS), meanBatch: +(stats.entries / stats.batches).toFixed(1), msPerBatch: +(stats.applyMs / stats.batches).toFixed(1), maxDeliveryMs: stats.maxDeliveryMs, queued: queue.length });
    Object.assign(stats, { entries: 0, batches: 0, applyMs: 0, maxDeliveryMs: 0 });
  }, STATS_MS).unref();
  let waiting: (() => void)[] = [];
  const release = (): void => {
    if (queue.length >= HIGH_WATER) return;
    for (const w of waiting) w();
    waiting = [];
  };

  const drain = async (): Promise<void> => {
    if (busy || queue.length === 0) return;
    busy = true;
    const batch = queue.splice(0, BATCH);
    release();
    const started = performance.now();
    try {
      let last = batch[batch.length - 1];
      const changes: Change[] = [];
      let marker: string | undefined;
      let commitTime: string | undefined;
      for (const m of batch) {
        const at = BigInt(m.entry.lsn);
        if (at <= lsn) continue; // delivered again after a restart: applied already
        changes.push(...(m.entry.changes ?? []));
        if (m.entry.marker !== undefined) marker = m.entry.marker;
        commitTime = m.entry.time;
        lsn = at;
        last = m;
      }
      // The batch is one script, one round trip: lock the position (a promotion detaches it), apply,
      // move the position; then COMMIT, or ROLLBACK if the lock found the store detached. A notify
      // inside a transaction that rolls back is never sent.
      const lit = (v: string | null): string => (v === null ? "NULL" : replica.escapeLiteral(v));
      const results = (await replica.query(
        [
          "BEGIN;",
          `SELECT detached FROM understudy.cdc_position WHERE stream = ${lit(cfg.stream)} FOR UPDATE;`,
          applyScript(changes, lit),
          `UPDATE understudy.cdc_position SET "offset" = ${lit(last.offset.toString())}, lsn = ${lit(lsn.toString())}, commit_time = coalesce(${lit(commitTime ?? null)}::timestamptz, commit_time), applied_at = now(), marker = coalesce(${lit(marker ?? null)}, marker) WHERE stream = ${lit(cfg.stream)};`,
          // Only sync mode's publisher listens: it holds the primary's commits until a shadow has applied them.
          cfg.mode === "sync" ? `SELECT pg_notify(${lit(APPLIED_CHANNEL)}, ${lit(lsn.toString())});` : "",
        ].join("\n"),
      )) as unknown as QueryResult<{ detached?: boolean }>[];
      if (results[1]?.rows[0]?.detached) {
        await replica.query("ROLLBACK");
        state = "detached";
        queue.length = 0;
        release();
        log("info", "detached: stopped applying", { stream: cfg.stream, lsn: lsn.toString() });
        return;
      }
      await replica.query("COMMIT");
      stats.entries += batch.length;
      stats.batches++;
      stats.applyMs += performance.now() - started;
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
  const from = pos.offset < 0n ? Offset.first() : Offset.offset(pos.offset + 1n);
  // One chunk at a time (the client's default credit): with more, the client hands two chunks'
  // messages to this callback interleaved, and entries would be applied out of order.
  let lastOffset = -1n;
  await broker.declareConsumer({ stream: cfg.stream, offset: from }, async (msg) => {
    if (state === "detached") return;
    const offset = msg.offset ?? 0n;
    if (offset < lastOffset) {
      log("error", "the stream delivered entries out of order: stopping (the supervisor restarts from the applied offset)", { offset: offset.toString(), after: lastOffset.toString() });
      process.exit(1);
    }
    lastOffset = offset;
    const entry = JSON.parse(msg.content.toString("utf8")) as StreamEntry;
    // Commit on the primary → delivered here (the clocks are one machine's, or NTP-close hosts').
    stats.maxDeliveryMs = Math.max(stats.maxDeliveryMs, Date.now() - Date.parse(entry.time));
    queue.push({ offset, entry });
    void drain();
    // The client asks for the next chunk's credit only when this returns.
    if (queue.length >= HIGH_WATER) await new Promise<void>((r) => waiting.push(r));
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
