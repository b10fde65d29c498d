// Replication lag, measured end to end: an open-loop writer commits rows on the primary at a fixed
// rate and records each acknowledgement; a poller per shadow store records when each row becomes
// visible there. Lag of a row = visible − acknowledged (≤ 0 in sync mode means the shadow applied it
// before the client heard back; reported as 0). Resolution: the poll interval.
import { Pool } from "pg";

export interface LagRun {
  rate: number;
  seconds: number;
  achievedRate: number;
  commitP50Ms: number;
  commitP99Ms: number;
  /** Per shadow host: lag percentiles over every row. */
  lag: Record<string, { p50Ms: number; p99Ms: number; maxMs: number; rows: number }>;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const POLL_MS = 2;

/** Records when each row becomes visible; rows commit out of id order, so it re-reads from the lowest unseen id. */
async function poll(url: string, seen: Map<number, number>, stop: () => boolean): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const first = await pool.query<{ m: string | null }>("SELECT max(id)::text AS m FROM orders");
    let low = Number(first.rows[0].m ?? 0) + 1;
    while (!stop()) {
      const r = await pool.query<{ id: string }>("SELECT id::text AS id FROM orders WHERE id >= $1", [low]);
      const now = performance.now();
      for (const row of r.rows) if (!seen.has(Number(row.id))) seen.set(Number(row.id), now);
      while (seen.has(low)) low++;
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
  } finally {
    await pool.end();
  }
}

export async function measureLag(primaryUrl: string, replicas: { host: string; url: string }[], rate: number, seconds: number, prefix: string): Promise<LagRun> {
  const writer = new Pool({ connectionString: primaryUrl, max: 16 });
  const acked = new Map<number, number>();
  const commits: number[] = [];
  const seen = new Map(replicas.map((r) => [r.host, new Map<number, number>()]));
  let stopping = false;
  const pollers = replicas.map((r) => poll(r.url, seen.get(r.host) as Map<number, number>, () => stopping));
  await new Promise((res) => setTimeout(res, 200));
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  const total = rate * seconds;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    const t0 = performance.now();
    inflight.push(
      writer
        .query<{ id: string }>("INSERT INTO orders (customer, amount, request_id) VALUES ('bench', 1, $1) RETURNING id::text AS id", [`${prefix}-${i}`])
        .then((r) => {
          const t1 = performance.now();
          acked.set(Number(r.rows[0].id), t1);
          commits.push(t1 - t0);
        }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  // Let the shadows catch up (bounded), then stop polling.
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && [...seen.values()].some((s) => [...acked.keys()].some((id) => !s.has(id)))) await new Promise((res) => setTimeout(res, 50));
  stopping = true;
  await Promise.all(pollers);
  await writer.end();
  const lag: LagRun["lag"] = {};
  for (const r of replicas) {
    const s = seen.get(r.host) as Map<number, number>;
    const xs = [...acked].filter(([id]) => s.has(id)).map(([id, t]) => Math.max(0, (s.get(id) as number) - t));
    lag[r.host] = { p50Ms: percentile(xs, 50), p99Ms: percentile(xs, 99), maxMs: Math.max(...xs), rows: xs.length };
  }
  return { rate, seconds, achievedRate: total / elapsed, commitP50Ms: percentile(commits, 50), commitP99Ms: percentile(commits, 99), lag };
}
