// Commit latency of the demo service's writes (POST /orders through the load balancer), open loop.
import { percentile } from "./lag";

export interface ServiceLatency {
  rate: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export async function measureServiceWrites(lb: string, rate: number, seconds: number, prefix: string): Promise<ServiceLatency> {
  const lat: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      fetch(`${lb}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": `${prefix}-${i}` },
        body: JSON.stringify({ customer: "bench", amount: 1 }),
        signal: AbortSignal.timeout(10_000),
      })
        .then(async (res) => {
          await res.text();
          if (res.status === 201) lat.push(performance.now() - t0);
          else errors++;
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(inflight);
  return { rate, seconds, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), errors };
}
