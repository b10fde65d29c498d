// The foundation, for real: a stack on the local platform through the Automation API — HAProxy,
// Prometheus, PostgreSQL and the demo service as supervised processes.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import test from "ava";
import { preflight } from "../../../automation/engine";
import * as supervisor from "../../../components/platforms/local/impl/supervisor";
import { get, pidsListening, processesMatching, testStack } from "../../helpers/stack";

const STACK = "it-foundation";
const LB = "http://127.0.0.1:28080";
const PROM = "http://127.0.0.1:29090";

const config = {
  "understudy:hosts": ["host-1", "host-2", "host-3"],
  "understudy:loadBalancer": { port: 28080, statsPort: 28404, checkIntervalMs: 500 },
  "understudy:prometheus": { port: 29090, scrapeIntervalSeconds: 1 },
  "understudy:services": {
    orders: {
      command: "node dist/demo/service/main.js",
      port: 28100,
      replicas: 2,
      store: { host: "host-1", port: 25432, database: "orders", schema: "demo/schema/orders.sql" },
      replication: { metricsPort: 28187 },
      shadows: { count: 1 },
    },
  },
};

async function promQuery(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await get(`${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  return (JSON.parse(r.body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

async function eventually<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test.serial("up → serve through HAProxy → metrics for every instance → kill -9 → still serving → destroy leaves nothing", async (t) => {
  const s = await testStack(STACK, config);
  try {
    const up = await s.stack.up({ onOutput: (o) => s.log.push(o) });
    t.is(up.summary.result, "succeeded");
    const services = up.outputs.services.value as Record<string, { liveHosts: string[]; shadowHosts: string[] }>;
    t.deepEqual(services.orders.liveHosts, ["host-1", "host-2"]);
    t.deepEqual(services.orders.shadowHosts, ["host-3"]);

    // A write and a read through the load balancer.
    const created = await get(`${LB}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ customer: "ada", amount: 12.5 }) });
    t.is(created.status, 201, created.body);
    const id = (JSON.parse(created.body) as { id: number }).id;
    t.is((await get(`${LB}/orders/${id}`)).status, 200);

    // The engine's own view: a second preview has nothing to do.
    const pv = await s.stack.preview();
    t.deepEqual(Object.keys(pv.changeSummary).filter((k) => k !== "same"), [], JSON.stringify(pv.changeSummary));

    // Prometheus scrapes every instance, labelled with service, role, host and instance.
    const up1 = await eventually("every instance scraped", async () => {
      const r = await promQuery('up{service="orders",role=~"live|shadow"} == 1');
      return r.length === 3 ? r : undefined;
    });
    t.deepEqual(up1.map((r) => r.metric.instance).sort(), ["orders-live-host-1", "orders-live-host-2", "orders-shadow-host-3"]);
    t.truthy(await eventually("haproxy exporter", async () => ((await promQuery('haproxy_process_uptime_seconds{service="orders"}')).length > 0 ? true : undefined)));

    // kill -9 one live instance: clients see no error (health checks + retry with redispatch).
    const pid = pidsListening(28100)[0];
    t.truthy(pid);
    process.kill(pid, "SIGKILL");
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await get(`${LB}/orders?limit=5`)).status);
    t.deepEqual(statuses.filter((x) => x !== 200), [], "every request after kill -9 succeeded");

    // The supervisor brought it back; a refresh sees the new process and changes nothing else.
    const procs = await eventually("instance restarted", async () => {
      const p = [...new Set(pidsListening(28100))];
      return p.length === 3 && !p.includes(pid) ? p : undefined;
    });
    t.is(procs.length, 3);

    // A process that vanished from the supervisor is seen by refresh and recreated by the next up.
    await supervisor.remove(path.join(s.stateDir, "pm2"), "orders-live-host-2");
    await s.stack.refresh({ onOutput: (o) => s.log.push(o) });
    const again = await s.stack.up({ onOutput: (o) => s.log.push(o) });
    t.is(again.summary.resourceChanges?.create, 1, JSON.stringify(again.summary.resourceChanges));
    t.is((await get(`${LB}/orders/${id}`)).status, 200);

    // The generated database password is a secret: encrypted in the state file on disk.
    const onDisk = fs.readFileSync(path.join(s.backendDir, ".pulumi", "stacks", "understudy", `${s.name}.json`), "utf8");
    const deployment = (await s.stack.exportStack()).deployment as { resources: { urn: string; outputs: Record<string, unknown> }[] };
    const password = deployment.resources.find((r) => r.urn.endsWith("::orders-store-host-1"))?.outputs.password as { plaintext: string };
    t.truthy(password.plaintext);
    t.false(onDisk.includes(JSON.parse(password.plaintext) as string), "the password is not in the state file");
    t.true(onDisk.includes('"ciphertext"'));
  } finally {
    await s.destroy();
  }
  t.deepEqual(processesMatching(".understudy/it-foundation"), [], "no process left");
  t.false(fs.existsSync(s.stateDir), "no state dir left");
  const listening = execFileSync("ss", ["-ltnH"], { encoding: "utf8" });
  for (const port of [28080, 28404, 29090, 28100, 25432]) t.false(listening.includes(`:${port} `), `port ${port} released`);
});

test.serial("an invalid stack config is refused before the engine starts, naming the key and the rule", async (t) => {
  const s = await testStack("it-badconfig", { ...config, "understudy:services": { orders: { ...config["understudy:services"].orders, replicas: 0 } } });
  try {
    const err = await t.throwsAsync(preflight(s.stack));
    t.regex(err?.message ?? "", /understudy:services\.orders\.replicas: must be between 1 and 64, got 0/);
    const exported = (await s.stack.exportStack()).deployment as { resources?: unknown[] };
    t.deepEqual(exported.resources ?? [], []);
  } finally {
    await s.destroy();
  }
});
