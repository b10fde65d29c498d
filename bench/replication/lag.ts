// Replication lag, measured end to end: an open-loop writer commits rows on the primary at a fixed
// rate and records each acknowledgement; a poller per shadow store records when each row becomes
// visible there (one worker thread per shadow, see poller.ts). Lag of a row = visible − acknowledged
// (≤ 0 in sync mode means the shadow applied it before the client heard back; reported as 0).
// Resolution: the poll interval.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { Pool } from "pg";

export interface LagRun {
  rate: number;
  seconds: number;
  achievedRate: number;
  commitP50Ms: number;
  commitP99Ms: number;
  /** Per shadow host: lag percentiles over every row. */
  lag: Record<string, { p50Ms: number; p99Ms: number; maxMs: number; rows: number; missing: number }>;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface Poller {
  /** Lowest id not yet seen (every id below it is). */
  low(): number;
  /** Stops polling; resolves with when each row was first seen (absolute ms). */
  stop(): Promise<Map<number, number>>;
}

/**
 * Starts a poller thread on a shadow's store; resolves once it has read where the table ends. A
 * poller that fails later (its store went away) makes `stop` reject, so the run ends with the reason
 * instead of waiting for rows that will never be reported.
 */
function startPoller(url: string): Promise<Poller> {
  const worker = new Worker(path.join(__dirname, "poller.js"), { workerData: { url } });
  let low = 0;
  let failure: Error | undefined;
  let done: { resolve: (seen: Map<number, number>) => void; reject: (e: Error) => void } | undefined;
  return new Promise((ready, fail) => {
    worker.on("error", (e) => {
      failure = e;
      fail(e);
      done?.reject(e);
    });
    worker.on("message", (m: { ready?: true; low?: number; seen?: [number, number][] }) => {
      if (m.ready) {
        ready({
          low: () => low,
          stop: () =>
            new Promise((resolve, reject) => {
              if (failure) return reject(failure);
              done = { resolve, reject };
              worker.postMessage("stop");
            }),
        });
      }
      if (m.low !== undefined) low = m.low;
      if (m.seen) {
        done?.resolve(new Map(m.seen));
        // Its message listener would keep the thread, and with it the benchmark, alive after the run.
        void worker.terminate();
      }
    });
  });
}

export async function measureLag(primaryUrl: string, replicas: { host: string; url: string }[], rate: number, seconds: number, prefix: string): Promise<LagRun> {
  const writer = new Pool({ connectionString: primaryUrl, max: 16 });
  const acked = new Map<number, number>();
  const commits: number[] = [];
  const pollers = await Promise.all(replicas.map((r) => startPoller(r.url)));
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
          acked.set(Number(r.rows[0].id), performance.timeOrigin + t1);
          commits.push(t1 - t0);
        }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  // Let the shadows catch up (bounded), then stop polling.
  const maxId = Math.max(...acked.keys());
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && pollers.some((p) => p.low() <= maxId)) await new Promise((res) => setTimeout(res, 50));
  const seen = await Promise.all(pollers.map((p) => p.stop()));
  await writer.end();
  const lag: LagRun["lag"] = {};
  for (const [i, r] of replicas.entries()) {
    const s = seen[i];
    const xs = [...acked].filter(([id]) => s.has(id)).map(([id, t]) => Math.max(0, (s.get(id) as number) - t));
    // A row the shadow never showed within the wait is lost or very late: counted, never hidden.
    lag[r.host] = { p50Ms: percentile(xs, 50), p99Ms: percentile(xs, 99), maxMs: Math.max(...xs), rows: xs.length, missing: acked.size - xs.length };
  }
  return { rate, seconds, achievedRate: total / elapsed, commitP50Ms: percentile(commits, 50), commitP99Ms: percentile(commits, 99), lag };
}
