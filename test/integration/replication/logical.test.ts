// Logical replication on the real local platform: a cluster per shadow host, schema on both sides,
// initial copy then streaming, sync commits waiting for a shadow, lag exported to Prometheus, and
// every shadow reading its own store.
import test from "ava";
import { processesMatching, testStack } from "../../helpers/stack";
import { eventually, postOrder, replicationConfig, sql, topology } from "./fixture";

// Below the ephemeral range (32768-60999), where the engine's own plugins listen on random ports.
const BASE = 23000;
const LB = `http://127.0.0.1:${BASE + 80}`;
const PROM = `http://127.0.0.1:${BASE + 90}`;

async function prom(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  return ((await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

test.serial("sync logical replication: copy, stream, commit waits for a shadow, lag exported, shadows read their own store", async (t) => {
  const s = await testStack("it-repl-logical", replicationConfig(BASE, { mode: "sync" }));
  try {
    const up = await s.stack.up({ onOutput: (o) => s.log.push(o) });
    t.is(up.summary.result, "succeeded");
    const topo = await topology(s.stack);
    t.deepEqual(topo.replicas.map((r) => r.host), ["host-3", "host-4"]);
    t.deepEqual(new Set(topo.replicas.map((r) => new URL(r.url).hostname)), new Set(["127.0.1.3", "127.0.1.4"]));

    // Sync: the primary waits for ANY 1 of the two subscriptions.
    const [setting] = await sql<{ s: string }>(topo.primary.url, "SELECT current_setting('synchronous_standby_names') AS s");
    t.is(setting.s, 'ANY 1 ("understudy_orders_host_3", "understudy_orders_host_4")');

    for (let i = 0; i < 20; i++) t.is(await postOrder(LB, `it-logical-${i}`), 201);
    for (const r of topo.replicas) {
      const rows = await eventually(`rows on ${r.host}`, async () => {
        const x = await sql<{ n: string }>(r.url, "SELECT count(*) AS n FROM orders WHERE request_id LIKE 'it-logical-%'");
        return Number(x[0].n) === 20 ? x : undefined;
      });
      t.is(Number(rows[0].n), 20, r.host);
    }

    // The shadow on host-3 serves the replicated rows. (That it reads its own replica rather than
    // the primary needs the local platform's instances to honour InstanceGroupArgs.databaseUrls.)
    const shadow = await fetch(`http://127.0.1.3:${BASE + 100}/orders?limit=50`).then((r) => r.json() as Promise<{ orders: { request_id: string }[] }>);
    t.is(shadow.orders.filter((o) => o.request_id?.startsWith("it-logical-")).length, 20);

    // Lag and state per shadow, labelled service/shadow/host, in Prometheus.
    const lag = await eventually("lag samples", async () => {
      const r = await prom('understudy_replication_lag_bytes{service="orders"}');
      return r.length === 2 ? r : undefined;
    });
    t.deepEqual(lag.map((r) => r.metric.shadow).sort(), ["orders-shadow-host-3", "orders-shadow-host-4"]);
    const streaming = await prom('understudy_replication_state{service="orders",state="streaming"} == 1');
    t.is(streaming.length, 2);

    // A shadow store that is down: its state and its growing lag show it; the other keeps commits going.
    await sql(topo.replicas[1].url, "SELECT 1");
    const pm2 = `${s.stateDir}/pm2`;
    const { remove } = await import("../../../components/platforms/local/impl/supervisor");
    await remove(pm2, "orders-store-host-4");
    for (let i = 20; i < 25; i++) t.is(await postOrder(LB, `it-logical-${i}`), 201);
    const down = await eventually("host-4 unreachable in the metrics", async () => {
      const r = await prom('understudy_replication_state{service="orders",host="host-4",state="unreachable"} == 1');
      return r.length === 1 ? r : undefined;
    });
    t.is(down.length, 1);
    const lagDown = await eventually("host-4 lag grows", async () => {
      const r = await prom('understudy_replication_lag_seconds{service="orders",host="host-4"}');
      return r.length === 1 && Number(r[0].value[1]) >= 2 ? r : undefined;
    });
    t.true(Number(lagDown[0].value[1]) >= 2);
  } finally {
    await s.destroy();
  }
  t.deepEqual(processesMatching(".understudy/it-repl-logical"), [], "no process left");
});
