// The change stream's publisher (stream driver): reads the primary's logical changes from a
// replication slot over the streaming replication protocol, publishes the committed transactions
// to a RabbitMQ stream (grouped: those of one read, under load those of a 10 ms window, as one
// entry, deduplicated by LSN), and tells the primary how far it may consider them safe: async =
// stored by the broker; sync = applied by at least one shadow (the primary counts this connection
// as its synchronous standby, so each commit waits for a shadow).
// Environment: HOST, PORT (health), UNDERSTUDY_CHANGE_STREAM (secret JSON, see changeStreamConfig).
import * as http from "node:http";
import { Client } from "pg";
import { quoteIdent, quoteLiteral } from "../../components/postgres/sql";
import { APPLIED_CHANNEL, ChangeStreamConfig, log, readConfig } from "./changeStreamConfig";
import { mergeTransactions, PgOutputDecoder, StreamEntry } from "./pgoutput";
import { connectBroker } from "./streamClient";

const STATS_MS = 10_000;
/** Changes per grouped entry at most: an entry must fit the broker's frame (1 MiB by default). */
const GROUP_MAX_CHANGES = 1000;
/**
 * Entries go out at most once per window while commits keep coming; a commit after a quiet spell
 * goes out at once. Under load a group then holds the transactions of several reads: at 1,000
 * commits/s, one entry per read still meant ~370 entries/s, and each costs the broker and every
 * consumer a chunk. The window bounds what grouping adds to lag.
 */
const GROUP_WINDOW_MS = 10;
const PG_EPOCH_US = BigInt(Date.UTC(2000, 0, 1)) * 1000n;

function standbyStatus(write: bigint, flush: bigint, reply: boolean): Buffer {
  const b = Buffer.alloc(34);
  b.write("r", 0);
  b.writeBigUInt64BE(write, 1);
  b.writeBigUInt64BE(flush, 9);
  b.writeBigUInt64BE(flush, 17);
  b.writeBigUInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_US, 25);
  b.writeUInt8(reply ? 1 : 0, 33);
  return b;
}

async function ensureSlot(cfg: ChangeStreamConfig): Promise<void> {
  const c = new Client({ connectionString: cfg.primaryUrl });
  await c.connect();
  try {
    const r = await c.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", [cfg.slot]);
    if ((r.rowCount ?? 0) === 0) await c.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [cfg.slot]);
  } finally {
    await c.end();
  }
}

/** Highest LSN any replica announced as applied (sync mode's flush position). */
async function listenApplied(cfg: ChangeStreamConfig, onApplied: (lsn: bigint) => void): Promise<void> {
  for (const r of cfg.replicas) {
    const c = new Client({ connectionString: r.url, application_name: "understudy-cdc-publisher" });
    c.on("error", (e) => {
      log("warn", "replica connection lost", { host: r.host, error: e.message });
      // The supervisor restarts us; replicas that are down simply do not count towards sync.
      setTimeout(() => process.exit(1), 1000);
    });
    await c.connect();
    c.on("notification", (n) => {
      if (n.channel === APPLIED_CHANNEL && n.payload) onApplied(BigInt(n.payload));
    });
    await c.query(`LISTEN ${APPLIED_CHANNEL}`);
    const pos = await c.query<{ lsn: string }>("SELECT lsn::text AS lsn FROM understudy.cdc_position WHERE stream = $1", [cfg.stream]).catch(() => ({ rows: [] as { lsn: string }[] }));
    if (pos.rows[0]) onApplied(BigInt(pos.rows[0].lsn));
  }
}

async function main(): Promise<void> {
  const cfg = readConfig();
  let streaming = false;
  const health = http.createServer((_req, res) => res.writeHead(streaming ? 200 : 503).end(streaming ? "streaming\n" : "starting\n"));
  health.listen(Number(process.env.PORT), process.env.HOST);

  const broker = await connectBroker(cfg.broker);
  await broker.createStream({ stream: cfg.stream, arguments: {} });
  const publisher = await broker.declarePublisher({ stream: cfg.stream, publisherRef: cfg.stream });
  let lastId = await publisher.getLastPublishingId();
  let confirmed = lastId;
  let applied = 0n;
  let received = 0n;
  let lastSent = 0n;
  publisher.on("publish_confirm", (err, ids) => {
    if (err !== null) {
      log("error", "the broker refused a publish", { code: err });
      process.exit(1);
    }
    for (const id of ids) if (id > confirmed) confirmed = id;
  });

  await ensureSlot(cfg);
  const repl = new Client({ connectionString: cfg.primaryUrl, replication: "database", application_name: cfg.slot } as ConstructorParameters<typeof Client>[0]);
  repl.on("error", (e) => {
    log("error", "replication connection lost", { error: e.message });
    process.exit(1);
  });
  await repl.connect();
  const conn = (repl as unknown as { connection: { on(ev: string, f: (m: { chunk: Buffer }) => void): void; sendCopyFromChunk(b: Buffer): void } }).connection;

  const flushPosition = (): bigint => (cfg.mode === "sync" ? applied : confirmed);
  const sendStatus = (reply: boolean): void => {
    lastSent = flushPosition();
    conn.sendCopyFromChunk(standbyStatus(received, lastSent, reply));
  };
  if (cfg.mode === "sync") {
    await listenApplied(cfg, (lsn) => {
      if (lsn > applied) applied = lsn;
      if (applied > lastSent) sendStatus(false);
    });
  }

  // Throughput and commit → publish delay, logged every STATS_MS while transactions flow.
  const stats = { published: 0, maxPublishMs: 0 };
  setInterval(() => {
    if (stats.published === 0) return;
    log("info", "published", { entriesPerSecond: Math.round((stats.published * 1000) / STATS_MS), maxPublishMs: stats.maxPublishMs });
    Object.assign(stats, { published: 0, maxPublishMs: 0 });
  }, STATS_MS).unref();
  const decoder = new PgOutputDecoder();
  let lastPublish = 0;
  const publish = (e: StreamEntry): void => {
    const id = BigInt(e.lsn);
    if (id <= lastId) return; // in the stream already (published before a restart)
    lastId = id;
    lastPublish = Date.now();
    stats.published++;
    stats.maxPublishMs = Math.max(stats.maxPublishMs, lastPublish - Date.parse(e.time));
    publisher.send(Buffer.from(JSON.stringify(e)), { publishingId: id }).catch((err: Error) => {
      log("error", "publish failed", { error: err.message });
      process.exit(1);
    });
  };
  // Transactions decoded in one turn of the event loop (one read from the primary), and under load
  // those of every read within GROUP_WINDOW_MS, travel as one stream entry: the broker and every
  // consumer handle one message per group, not one per commit. At 1,000 commits/s one message each
  // cost RabbitMQ and the consumers more CPU than two cores had.
  let group: StreamEntry[] = [];
  let groupChanges = 0;
  let groupTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let lastFlush = 0;
  const flushGroup = (): void => {
    if (groupTimer) {
      clearTimeout(groupTimer as NodeJS.Timeout);
      clearImmediate(groupTimer as NodeJS.Immediate);
      groupTimer = undefined;
    }
    if (group.length === 0) return;
    const merged = mergeTransactions(group);
    group = [];
    groupChanges = 0;
    lastFlush = Date.now();
    publish(merged);
  };
  const queueTransaction = (e: StreamEntry): void => {
    group.push(e);
    groupChanges += e.changes?.length ?? 0;
    if (groupChanges >= GROUP_MAX_CHANGES) return flushGroup();
    if (groupTimer) return;
    // At least the rest of this read joins the group (the flush runs after this turn).
    const wait = lastFlush + GROUP_WINDOW_MS - Date.now();
    groupTimer = wait > 0 ? setTimeout(flushGroup, wait) : setImmediate(flushGroup);
  };
  conn.on("copyData", (msg) => {
    const b = msg.chunk;
    const kind = String.fromCharCode(b[0]);
    if (kind === "w") {
      const end = b.readBigUInt64BE(9);
      if (end > received) received = end;
      const entry = decoder.push(b.subarray(25));
      if (entry?.marker !== undefined) {
        // A marker takes the LSN after its record's start, so it never ties the commit before it;
        // the transactions before it go first.
        flushGroup();
        publish({ ...entry, lsn: (BigInt(entry.lsn) + 1n).toString() });
      } else if (entry) queueTransaction(entry);
    } else if (kind === "k") {
      const end = b.readBigUInt64BE(1);
      if (end > received) received = end;
      // Idle: a heartbeat carries the position (and the time) to the shadows, so lag reads true.
      if (Date.now() - lastPublish > 1000 && group.length === 0) publish({ lsn: end.toString(), time: new Date().toISOString(), changes: [] });
      if (b[17] === 1) sendStatus(false);
    }
  });
  // Ask for a keepalive every second (heartbeats), and report progress even when nothing changes.
  setInterval(() => sendStatus(true), 1000).unref();
  setInterval(() => {
    if (flushPosition() > lastSent) sendStatus(false);
  }, 20).unref();
  repl
    .query(`START_REPLICATION SLOT ${quoteIdent(cfg.slot)} LOGICAL 0/0 (proto_version '1', publication_names ${quoteLiteral(quoteIdent(cfg.publication))}, messages 'true')`)
    .catch((e: Error) => {
      log("error", "replication stopped", { error: e.message });
      process.exit(1);
    });
  streaming = true;
  log("info", "publishing", { stream: cfg.stream, slot: cfg.slot, mode: cfg.mode, from: lastId.toString() });
  const stop = (): void => {
    void publisher.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((e: unknown) => {
  log("error", "publisher failed", { error: (e as Error).message });
  process.exit(1);
});
