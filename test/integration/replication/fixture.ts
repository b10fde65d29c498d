// Shared pieces of the replication integration tests: a stack config on 4xxxx ports, direct SQL on
// a stack's stores (URLs read from the stack's state, never printed), and polling.
import { Client } from "pg";
import { Stack } from "@pulumi/pulumi/automation";
import { ReplicationTopology } from "../../../automation/replication/driver";
import { topologyFromState } from "../../../components/platforms/local/runtime/topology";

export function replicationConfig(base: number, over: { mode?: "sync" | "async"; driver?: "logical" | "stream"; shadows?: number; hosts?: number } = {}): Record<string, unknown> {
  const hosts = Array.from({ length: over.hosts ?? 4 }, (_, i) => `host-${i + 1}`);
  return {
    "understudy:hosts": hosts,
    "understudy:loadBalancer": { port: base + 80, statsPort: base + 404, checkIntervalMs: 500 },
    "understudy:prometheus": { port: base + 90, scrapeIntervalSeconds: 1 },
    "understudy:services": {
      orders: {
        command: "node dist/demo/service/main.js",
        port: base + 100,
        replicas: 2,
        store: { host: "host-1", port: base + 432, database: "orders", schema: "demo/schema/orders.sql" },
        shadows: { count: over.shadows ?? 2 },
        replication: { mode: over.mode ?? "sync", maxLagSeconds: 5, driver: over.driver ?? "logical", metricsPort: base + 187, streamPort: base + 552 },
      },
    },
  };
}

export async function topology(stack: Stack, service = "orders"): Promise<ReplicationTopology> {
  return topologyFromState(await stack.exportStack(), service);
}

export async function sql<T extends Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export { eventually } from "../../helpers/eventually";

export async function postOrder(lb: string, requestId: string): Promise<number> {
  const res = await fetch(`${lb}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": requestId },
    body: JSON.stringify({ customer: "ada", amount: 1.5 }),
    signal: AbortSignal.timeout(5000),
  });
  await res.text();
  return res.status;
}
