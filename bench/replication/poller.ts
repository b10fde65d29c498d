// A shadow store's row poller, run in a worker thread by lag.ts: it parses every row it reads, and on
// the writer's event loop that work delayed the writes it measures (a slow shadow meant bigger polls,
// later writes and a worse figure than the shadow's own). Records when each row becomes visible, as
// absolute milliseconds (timeOrigin + now) so the writer's thread can compare; rows commit out of id
// order, so it re-reads from the lowest unseen id.
import { parentPort, workerData } from "node:worker_threads";
import { Pool } from "pg";

const POLL_MS = 2;

async function main(): Promise<void> {
  const { url } = workerData as { url: string };
  const pool = new Pool({ connectionString: url, max: 1 });
  const seen = new Map<number, number>();
  let stopping = false;
  parentPort?.on("message", (m: string) => {
    if (m === "stop") stopping = true;
  });
  try {
    const first = await pool.query<{ m: string | null }>("SELECT max(id)::text AS m FROM orders");
    let low = Number(first.rows[0].m ?? 0) + 1;
    parentPort?.postMessage({ ready: true });
    while (!stopping) {
      const r = await pool.query<{ id: string }>("SELECT id::text AS id FROM orders WHERE id >= $1", [low]);
      const now = performance.timeOrigin + performance.now();
      for (const row of r.rows) if (!seen.has(Number(row.id))) seen.set(Number(row.id), now);
      const before = low;
      while (seen.has(low)) low++;
      if (low !== before) parentPort?.postMessage({ low });
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
  } finally {
    await pool.end();
  }
  parentPort?.postMessage({ seen: [...seen] });
}

void main();
