// The stream driver on the real local platform: a RabbitMQ node (streams plugin), a publisher reading
// the primary's slot, a consumer per shadow; sync commits wait for a shadow's apply; lag in offsets;
// a graceful switchover through the same promotion module. Heavy (Erlang on 2 cores): the run can be
// turned off by configuration only, UNDERSTUDY_STREAM_DRIVER=off.
import test from "ava";
import { Pool } from "pg";
import { promoteService } from "../../../components/platforms/local/runtime/promoter";
import { processesMatching, ROOT, testStack } from "../../helpers/stack";
import { eventually, postOrder, replicationConfig, sql, topology } from "./fixture";

const BASE = 27000;
const LB = `http://127.0.0.1:${BASE + 80}`;
const PROM = `http://127.0.0.1:${BASE + 90}`;
const serial = process.env.UNDERSTUDY_STREAM_DRIVER === "off" ? test.serial.skip : test.serial;

async function prom(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

serial("stream driver, sync: copy then stream through RabbitMQ, commits wait for a shadow, offsets lag exported, switchover", async (t) => {
  const s = await testStack("it-repl-stream", replicationConfig(BASE, { mode: "sync", driver: "stream" }));
  try {
    // Rows before the stream exists reach the shadows by the initial copy, later ones by the stream.
    const up = await s.stack.up({ onOutput: (o) => s.log.push(o) });
    t.is(up.summary.result, "succeeded");
    const topo = await topology(s.stack);
    t.is(topo.driver, "stream");
    const [setting] = await sql<{ s: string }>(topo.primary.url, "SELECT current_setting('synchronous_standby_names') AS s");
    t.is(setting.s, 'ANY 1 ("understudy_cdc_orders")');
    const [sender] = await eventually("publisher is the primary's quorum standby", async () => {
      const r = await sql<{ sync_state: string }>(topo.primary.url, "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'understudy_cdc_orders'");
      return r[0]?.sync_state === "quorum" ? r : undefined;
    });
    t.is(sender.sync_state, "quorum");

    for (let i = 0; i < 30; i++) t.is(await postOrder(LB, `it-stream-${i}`), 201);
    // A burst from 16 connections: transactions commit out of id order, several per stream chunk and
    // several chunks in flight; updates and deletes of the same rows follow (the consumer applies them
    // in batches, so order inside a batch matters).
    const pool = new Pool({ connectionString: topo.primary.url, max: 16 });
    try {
      await Promise.all(Array.from({ length: 600 }, (_, i) => pool.query("INSERT INTO orders (customer, amount, request_id) VALUES ('burst', $1, $2)", [i, `it-burst-${i}`])));
      await Promise.all(Array.from({ length: 100 }, (_, i) => pool.query("UPDATE orders SET amount = amount + 1000 WHERE request_id = $1", [`it-burst-${i}`])));
      await pool.query("DELETE FROM orders WHERE request_id LIKE 'it-burst-5%'");
    } finally {
      await pool.end();
    }
    const primaryRows = await sql<{ n: string; h: string }>(topo.primary.url, "SELECT count(*) AS n, md5(string_agg(o::text, ',' ORDER BY id)) AS h FROM orders o");
    t.is(Number(primaryRows[0].n), 30 + 600 - 111);
    for (const r of topo.replicas) {
      const n = await eventually(`rows on ${r.host}`, async () => {
        const x = await sql<{ n: string }>(r.url, "SELECT count(*) AS n FROM orders WHERE request_id LIKE 'it-stream-%'");
        return Number(x[0].n) === 30 ? Number(x[0].n) : undefined;
      });
      t.is(n, 30, r.host);
      // Same rows, same values as the primary (numeric, timestamps included): nothing lost or reordered.
      const h = await eventually(`${r.host} catches up with the burst`, async () => {
        const b = await sql<{ h: string }>(r.url, "SELECT md5(string_agg(o::text, ',' ORDER BY id)) AS h FROM orders o");
        return b[0].h === primaryRows[0].h ? b[0].h : undefined;
      }).catch(() => "differs");
      t.is(h, primaryRows[0].h, `${r.host} holds exactly the primary's rows`);
    }
    const offsets = await eventually("offset lag samples", async () => {
      const r = await prom('understudy_replication_lag_offsets{service="orders",driver="stream"}');
      return r.length === 2 ? r : undefined;
    });
    t.deepEqual(offsets.map((r) => r.metric.host).sort(), ["host-3", "host-4"]);

    const report = await promoteService({ root: ROOT, stack: s.stack, service: "orders", to: "host-3", log: () => undefined });
    t.like(report, { from: "host-1", to: "host-3", driver: "stream", oldPrimary: "fenced" });
    t.deepEqual(report.rpo, { lostWrites: 0, proven: true, note: "the old primary was fenced and the shadow applied past its last write" });
    // After the repoint, writes land on host-3 and stream to host-4 from host-3's own slot.
    t.is(await postOrder(LB, "it-stream-after"), 201);
    const after = await topology(s.stack);
    t.is(after.primary.host, "host-3");
    t.is(after.stream?.name, "orders-cdc-host-3");
    await eventually("host-4 follows the new primary", async () => {
      const x = await sql<{ n: string }>(after.replicas[0].url, "SELECT count(*) AS n FROM orders WHERE request_id = 'it-stream-after'");
      return Number(x[0].n) === 1 ? true : undefined;
    });
    t.pass();
  } finally {
    await s.destroy();
  }
  t.deepEqual(processesMatching(".understudy/it-repl-stream"), [], "no process left");
});
