// Clients that write unique keys continuously through the service's load balancer and record every
// attempt and acknowledgement: the history the consistency check judges.
export interface Attempt {
  key: string;
  start: number;
  end: number;
  /** HTTP status, or 0 for a network error / timeout. */
  status: number;
}

export interface Writers {
  readonly attempts: Attempt[];
  /** Keys whose write was acknowledged (201, or 200 for an idempotent replay), with the ack time. */
  readonly acked: Map<string, number>;
  readonly attempted: Set<string>;
  stop(): Promise<void>;
}

export function startWriters(lb: string, o: { clients: number; ratePerClient: number; prefix: string }): Writers {
  const attempts: Attempt[] = [];
  const acked = new Map<string, number>();
  const attempted = new Set<string>();
  let running = true;
  const client = async (id: number): Promise<void> => {
    const interval = 1000 / o.ratePerClient;
    for (let seq = 0; running; seq++) {
      const key = `${o.prefix}-${id}-${seq}`;
      const start = Date.now();
      attempted.add(key);
      let status = 0;
      try {
        const res = await fetch(`${lb}/orders`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": key },
          body: JSON.stringify({ customer: `c${id}`, amount: 1 }),
          signal: AbortSignal.timeout(5000),
        });
        await res.text();
        status = res.status;
      } catch {
        status = 0;
      }
      const end = Date.now();
      attempts.push({ key, start, end, status });
      if (status === 201 || status === 200) acked.set(key, end);
      const wait = interval - (end - start);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const done = Promise.all(Array.from({ length: o.clients }, (_, i) => client(i)));
  return {
    attempts,
    acked,
    attempted,
    async stop() {
      running = false;
      await done;
    },
  };
}
