// The service's HTTP behaviour on an in-memory store (no database): shadow contract, validation,
// idempotency, faults, metrics, admin role switch, graceful shutdown.
import test from "ava";
import axios, { type AxiosRequestConfig } from "axios";
import { Registry } from "prom-client";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { storeUrlFor, withSavedRole, type ServiceConfig } from "../../../demo/service/config";
import { startService, type RunningService } from "../../../demo/service/server";
import type { CreateResult, NewOrder, Order, Stats, Store } from "../../../demo/service/store";

class MemoryStore implements Store {
  orders: Order[] = [];
  warm?: () => Promise<void>;
  healthy = true;
  schemaCalls = 0;
  async ensureSchema(): Promise<void> {
    this.schemaCalls++;
  }
  async create(o: NewOrder): Promise<CreateResult> {
    const existing = o.requestId === undefined ? undefined : this.orders.find((x) => x.request_id === o.requestId);
    if (existing) return { order: existing, created: false };
    const order: Order = {
      id: this.orders.length + 1,
      customer: o.customer,
      amount: o.amount,
      items: o.items,
      created_at: new Date().toISOString(),
      request_id: o.requestId ?? null,
    };
    this.orders.push(order);
    return { order, created: true };
  }
  async get(id: number): Promise<Order | undefined> {
    return this.orders.find((o) => o.id === id);
  }
  async recent(limit: number): Promise<Order[]> {
    return this.orders.slice(-limit).reverse();
  }
  async stats(): Promise<Stats> {
    const sum = this.orders.reduce((a, o) => a + o.amount, 0);
    return { count: this.orders.length, sum, avg: this.orders.length ? sum / this.orders.length : null, topCustomers: [] };
  }
  async ping(): Promise<void> {
    if (!this.healthy) throw new Error("connection refused");
  }
  async close(): Promise<void> {}
}

function config(over: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    host: "127.0.0.1",
    port: 0,
    role: "live",
    service: "demo",
    instance: "i1",
    hostLabel: "h1",
    databaseUrl: "postgres://unused@127.0.0.1/x",
    cpuCostMs: 0,
    faultErrorRate: 0,
    faultDelayMs: 0,
    ...over,
  };
}

async function start(over: Partial<ServiceConfig> = {}): Promise<{ svc: RunningService; store: MemoryStore; http: ReturnType<typeof client> }> {
  const store = new MemoryStore();
  const svc = await startService(config(over), { store, registry: new Registry(), defaultMetrics: false, log: () => undefined });
  return { svc, store, http: client(svc.url) };
}

type Body = Record<string, unknown>;

function client(base: string) {
  const opts: AxiosRequestConfig = { validateStatus: () => true, timeout: 5000 };
  return {
    get: (p: string, c: AxiosRequestConfig = {}) => axios.get<Body>(base + p, { ...opts, ...c }),
    post: (p: string, body: unknown, c: AxiosRequestConfig = {}) => axios.post<Body>(base + p, body, { ...opts, ...c }),
  };
}

/** The value of the sample of `name` whose labels include all of `labels` (label order is not fixed). */
export function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => m[2].includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

const MIRROR = { headers: { "X-Understudy-Mirror": "1" } };

test("live: create, read, list, stats, idempotent retry, validation", async (t) => {
  const { svc, store, http } = await start();
  t.teardown(() => svc.shutdown());
  const c = await http.post("/orders", { customer: "ann", amount: 12.345, items: 2 }, { headers: { "X-Request-Id": "r1" } });
  t.is(c.status, 201);
  t.like(c.data, { id: 1, customer: "ann", amount: 12.35, items: 2, request_id: "r1" });
  t.is(c.headers.location, "/orders/1");
  const retry = await http.post("/orders", { customer: "ann", amount: 12.345, items: 2 }, { headers: { "X-Request-Id": "r1" } });
  t.is(retry.status, 200);
  t.is(retry.data.id, 1);
  const clash = await http.post("/orders", { customer: "bob", amount: 1 }, { headers: { "X-Request-Id": "r1" } });
  t.is(clash.status, 409);
  t.is(store.orders.length, 1);
  t.like((await http.get("/orders/1")).data, { id: 1, customer: "ann" });
  t.is((await http.get("/orders/99")).status, 404);
  t.is((await http.get("/orders/abc")).status, 400);
  t.is((await http.get("/orders?limit=0")).status, 400);
  t.is((await http.get("/orders?limit=9999")).data.limit, 500);
  t.is(((await http.get("/orders")).data.orders as unknown[]).length, 1);
  t.like((await http.get("/stats")).data, { count: 1 });
  for (const [body, msg] of [
    [{ amount: 1 }, /customer/],
    [{ customer: "a", amount: 0 }, /amount/],
    [{ customer: "a", amount: "5" }, /amount/],
    [{ customer: "a", amount: 1, items: 1.5 }, /items/],
    [[1, 2], /object/],
  ] as const) {
    const r = await http.post("/orders", body);
    t.is(r.status, 400, JSON.stringify(body));
    t.regex(String(r.data.error), msg);
  }
  const badJson = await http.post("/orders", "{nope", { headers: { "content-type": "application/json" }, transformRequest: (d: unknown) => d });
  t.is(badJson.status, 400);
  t.is((await http.post("/orders", { customer: "x".repeat(70_000), amount: 1 })).status, 413);
  t.is((await http.get("/nope")).status, 404);
  const m = await http.post("/stats", {});
  t.is(m.status, 405);
  t.is(m.headers.allow, "GET");
  t.is(store.orders.length, 1);
});

test("mirrored writes never store, on a live or a shadow instance; mirrored reads are served", async (t) => {
  for (const role of ["live", "shadow"] as const) {
    const { svc, store, http } = await start({ role });
    t.teardown(() => svc.shutdown());
    if (role === "shadow") store.orders.push({ id: 7, customer: "z", amount: 1, items: 1, created_at: "2024-01-01T00:00:00.000Z", request_id: null });
    const before = store.orders.length;
    const r = await http.post("/orders", { customer: "ann", amount: 3 }, { headers: { "X-Understudy-Mirror": "1", "X-Request-Id": "m1" } });
    t.is(r.status, 201);
    t.like(r.data, { id: null, mirrored: true, customer: "ann", amount: 3, items: 1, request_id: "m1" });
    t.is(store.orders.length, before);
    t.is((await http.post("/orders", { amount: 3 }, MIRROR)).status, 400); // still validated
    t.is((await http.get("/orders", MIRROR)).status, 200);
  }
});

test("shadow refuses direct writes until promoted by POST /admin/role", async (t) => {
  const { svc, store, http } = await start({ role: "shadow" });
  t.teardown(() => svc.shutdown());
  const h = await http.get("/healthz");
  t.is(h.status, 200);
  t.deepEqual(h.data, { status: "ok", role: "shadow", instance: "i1" });
  t.is(store.schemaCalls, 0); // a shadow never creates the schema
  const r = await http.post("/orders", { customer: "ann", amount: 3 });
  t.is(r.status, 503);
  t.deepEqual(r.data, { error: "shadow is read-only until promoted" });
  t.is((await http.post("/admin/role", { role: "live" }, { headers: { "X-Forwarded-For": "10.0.0.1" } })).status, 403);
  t.is((await http.post("/admin/role", { role: "boss" })).status, 400);
  const p = await http.post("/admin/role", { role: "live" });
  t.is(p.status, 200);
  t.like(p.data, { role: "live", previous: "shadow" });
  t.is((await http.post("/orders", { customer: "ann", amount: 3 })).status, 201);
  t.is(store.orders.length, 1);
  t.is((await http.get("/healthz")).data.role, "live");
  const metrics = (await http.get("/metrics")).data as unknown as string;
  t.is(sample(metrics, "understudy_role", { role: "live", service: "demo", instance: "i1", host: "h1" }), 1);
  t.is(sample(metrics, "understudy_role", { role: "shadow" }), 0);
  t.is((await http.post("/admin/role", { role: "shadow" })).status, 200);
  t.is((await http.post("/orders", { customer: "ann", amount: 3 })).status, 503);
});

test("promotion in place switches to the primary's store (schema checked, pool warmed) before the role flips, and keeps the role for a restart", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "role-"));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const roleFile = path.join(dir, "roles", "demo-h1.json");
  const replica = new MemoryStore();
  const primary = new MemoryStore();
  let warmed = 0;
  primary.warm = async () => void warmed++;
  const opened: string[] = [];
  const svc = await startService(config({ role: "shadow", databaseUrl: "postgres://r@127.0.0.1/replica", primaryDatabaseUrl: "postgres://p@127.0.0.1/primary", roleFile }), {
    store: replica,
    openStore: (url) => {
      opened.push(url);
      return url.endsWith("/primary") ? primary : replica;
    },
    registry: new Registry(),
    defaultMetrics: false,
    log: () => undefined,
  });
  t.teardown(() => svc.shutdown());
  const http = client(svc.url);
  // The primary does not answer: the shadow stays a shadow, on its replica, and says why.
  primary.healthy = false;
  const refused = await http.post("/admin/role", { role: "live", instance: "demo-live-h1" });
  t.is(refused.status, 503);
  t.like(refused.data, { role: "shadow", instance: "i1" });
  t.is((await http.post("/orders", { customer: "ann", amount: 3 })).status, 503);
  t.false(fs.existsSync(roleFile));
  primary.healthy = true;
  const p = await http.post("/admin/role", { role: "live", instance: "demo-live-h1" });
  t.is(p.status, 200);
  t.like(p.data, { role: "live", previous: "shadow", instance: "demo-live-h1" });
  t.deepEqual(opened, ["postgres://p@127.0.0.1/primary", "postgres://p@127.0.0.1/primary"]);
  t.true(primary.schemaCalls >= 1, "the schema is checked on the primary before the flip");
  t.true(warmed >= 1, "the primary's pool is opened before the flip");
  t.deepEqual((await http.get("/healthz")).data, { status: "ok", role: "live", instance: "demo-live-h1" });
  t.is((await http.post("/orders", { customer: "ann", amount: 3 })).status, 201);
  t.is(primary.orders.length, 1, "writes go to the primary");
  t.is(replica.orders.length, 0, "never to the replica");
  t.deepEqual(JSON.parse(fs.readFileSync(roleFile, "utf8")), { role: "live", instance: "demo-live-h1" });
  t.is(fs.statSync(roleFile).mode & 0o777, 0o600);
  // Promoting again is a no-op (the `up` repeats the runner's call).
  t.is((await http.post("/admin/role", { role: "live", instance: "demo-live-h1" })).status, 200);
  t.is(opened.length, 2);
  // A restart reads the saved role over the environment's.
  const restarted = withSavedRole(config({ role: "shadow", instance: "demo-shadow-h1" }), fs.readFileSync(roleFile, "utf8"));
  t.deepEqual([restarted.role, restarted.instance], ["live", "demo-live-h1"]);
  t.is(storeUrlFor({ databaseUrl: "r", primaryDatabaseUrl: "p" }, restarted.role), "p");
  t.is(storeUrlFor({ databaseUrl: "r", primaryDatabaseUrl: "p" }, "shadow"), "r");
  t.is(withSavedRole(config(), "not json").role, "live");
});

test("healthz: 503 when the database does not answer; faults, metrics", async (t) => {
  const { svc, store, http } = await start({ faultErrorRate: 1, faultDelayMs: 30, cpuCostMs: 5 });
  t.teardown(() => svc.shutdown());
  t.is((await http.get("/healthz")).status, 200);
  store.healthy = false;
  const h = await http.get("/healthz");
  t.is(h.status, 503);
  t.is(h.data.status, "unavailable");
  store.healthy = true;
  const started = Date.now();
  const r = await http.post("/orders", { customer: "ann", amount: 3 });
  t.is(r.status, 500);
  t.true(Date.now() - started >= 30);
  t.is(store.orders.length, 0);
  await http.get("/stats", MIRROR);
  const m = (await http.get("/metrics")).data as unknown as string;
  const post = { method: "POST", route: "/orders", mirrored: "false" };
  t.is(sample(m, "http_requests_total", { ...post, status: "500", service: "demo", instance: "i1", host: "h1" }), 1);
  t.is(sample(m, "http_requests_total", { method: "GET", route: "/stats", status: "500", mirrored: "true" }), 1);
  t.is(sample(m, "http_request_duration_seconds_bucket", { ...post, le: "0.025" }), 0);
  t.is(sample(m, "http_request_duration_seconds_bucket", { ...post, le: "5" }), 1);
  t.is(sample(m, "understudy_mirrored_requests_total", { route: "/stats", instance: "i1" }), 1);
});

test("graceful shutdown finishes in-flight requests and then refuses connections", async (t) => {
  const { svc, http } = await start({ faultDelayMs: 300 });
  const inflight = http.post("/orders", { customer: "ann", amount: 3 });
  await new Promise((r) => setTimeout(r, 100));
  const stopping = svc.shutdown();
  const r = await inflight;
  t.is(r.status, 201);
  t.deepEqual(await stopping, { forced: false });
  const after = await http.get("/healthz").catch((e: { code?: string }) => e.code);
  t.is(after as unknown, "ECONNREFUSED");
});
