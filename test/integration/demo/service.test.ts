// The demo service as real processes on a real PostgreSQL: live and shadow on one database, the
// shadow contract, promotion, graceful shutdown, and the load generator against the live instance.
import test from "ava";
import axios, { type AxiosRequestConfig } from "axios";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runLoad } from "../../../demo/loadgen/run";
import { KINDS } from "../../../demo/loadgen/records";
import { freePort, startPgCluster, type PgCluster } from "./pgfixture";

const ROOT = path.resolve(__dirname, "../../../..");
const SERVICE_MAIN = path.join(ROOT, "dist/demo/service/main.js");
const LOADGEN_MAIN = path.join(ROOT, "dist/demo/loadgen/main.js");
const NAB = "/work/shared/data/nab/data/realKnownCause/nyc_taxi.csv";

interface Service {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** SIGTERM, resolves with the exit code. */
  stop: () => Promise<number | null>;
}

let pg: PgCluster;
const services: Service[] = [];

test.before(async () => {
  pg = await startPgCluster();
});

test.after.always(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await pg?.stop();
});

async function startService(env: Record<string, string>, host = "127.0.0.1"): Promise<Service> {
  const port = await freePort(host);
  const proc = spawn(process.execPath, [SERVICE_MAIN], {
    env: { PATH: process.env.PATH ?? "", HOST: host, PORT: String(port), DATABASE_URL: pg.url, UNDERSTUDY_HOST: "test-host", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const svc: Service = {
    url: `http://${host}:${port}`,
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
  services.push(svc);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`service exited with ${proc.exitCode}:\n${out}`);
    const r = await axios.get(`${svc.url}/healthz`, { validateStatus: () => true, timeout: 2000 }).catch(() => undefined);
    if (r?.status === 200) return svc;
    if (Date.now() > deadline) throw new Error(`service not healthy within 15 s:\n${out}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const opts: AxiosRequestConfig = { validateStatus: () => true, timeout: 10_000 };
const get = (url: string, c: AxiosRequestConfig = {}) => axios.get<Record<string, unknown>>(url, { ...opts, ...c });
const post = (url: string, body: unknown, c: AxiosRequestConfig = {}) => axios.post<Record<string, unknown>>(url, body, { ...opts, ...c });
const MIRROR = { headers: { "X-Understudy-Mirror": "1" } };

async function rowCount(): Promise<number> {
  const rows = await pg.query<{ n: string }>("SELECT count(*) AS n FROM orders");
  return Number(rows[0].n);
}

let live: Service;

test.serial("live instance creates its schema, stores and serves orders", async (t) => {
  live = await startService({ UNDERSTUDY_ROLE: "live", UNDERSTUDY_SERVICE: "orders", UNDERSTUDY_INSTANCE: "orders-live-1" });
  const h = await get(`${live.url}/healthz`);
  t.deepEqual(h.data, { status: "ok", role: "live", instance: "orders-live-1" });
  t.is(await rowCount(), 0);

  const created: { id: number; amount: number }[] = [];
  for (const [customer, amount] of [["ann", 10.5], ["bob", 20], ["ann", 5.25]] as const) {
    const r = await post(`${live.url}/orders`, { customer, amount, items: 2 });
    t.is(r.status, 201);
    created.push(r.data as unknown as { id: number; amount: number });
  }
  t.is(await rowCount(), 3);
  const one = await get(`${live.url}/orders/${created[0].id}`);
  t.like(one.data, { id: created[0].id, customer: "ann", amount: 10.5, items: 2 });
  t.is((await get(`${live.url}/orders/999999`)).status, 404);
  const list = await get(`${live.url}/orders?limit=2`);
  t.deepEqual(
    (list.data as { orders: { id: number }[] }).orders.map((o) => o.id),
    [created[2].id, created[1].id],
  );
  const stats = await get(`${live.url}/stats`);
  t.like(stats.data, { count: 3, sum: 35.75, avg: 11.92 });
  t.deepEqual((stats.data as { topCustomers: unknown[] }).topCustomers, [
    { customer: "bob", count: 1, sum: 20 },
    { customer: "ann", count: 2, sum: 15.75 },
  ]);

  // Idempotent retry by X-Request-Id.
  const first = await post(`${live.url}/orders`, { customer: "cat", amount: 1 }, { headers: { "X-Request-Id": "retry-1" } });
  const again = await post(`${live.url}/orders`, { customer: "cat", amount: 1 }, { headers: { "X-Request-Id": "retry-1" } });
  t.is(first.status, 201);
  t.is(again.status, 200);
  t.is(again.data.id, first.data.id);
  t.is(await rowCount(), 4);

  const metrics = (await get(`${live.url}/metrics`)).data as unknown as string;
  t.regex(metrics, /^process_cpu_user_seconds_total\{.*instance="orders-live-1".*\} /m);
  t.regex(metrics, /^http_requests_total\{(?=.*method="POST")(?=.*route="\/orders")(?=.*status="201")(?=.*mirrored="false").*\} 4$/m);
  t.regex(metrics, /^understudy_role\{(?=.*role="live").*\} 1$/m);
});

test.serial("shadow on the same database: mirrored writes are answered but never stored; promotion", async (t) => {
  const shadow = await startService({ UNDERSTUDY_ROLE: "shadow", UNDERSTUDY_SERVICE: "orders", UNDERSTUDY_INSTANCE: "orders-shadow-1" }, "127.0.9.2");
  t.like((await get(`${shadow.url}/healthz`)).data, { status: "ok", role: "shadow" });
  const before = await rowCount();

  const m = await post(`${shadow.url}/orders`, { customer: "dan", amount: 7 }, { headers: { "X-Understudy-Mirror": "1", "X-Request-Id": "mirror-1" } });
  t.is(m.status, 201);
  t.like(m.data, { id: null, mirrored: true, customer: "dan", amount: 7 });
  t.is(await rowCount(), before);

  const direct = await post(`${shadow.url}/orders`, { customer: "dan", amount: 7 });
  t.is(direct.status, 503);
  t.deepEqual(direct.data, { error: "shadow is read-only until promoted" });
  t.is(await rowCount(), before);

  // Reads, mirrored or not, come from the shadow's own database.
  const list = await get(`${shadow.url}/orders?limit=1`, MIRROR);
  t.is(list.status, 200);
  t.is((list.data as { orders: unknown[] }).orders.length, 1);

  const promoted = await post(`${shadow.url}/admin/role`, { role: "live" });
  t.is(promoted.status, 200);
  t.like(promoted.data, { role: "live", previous: "shadow" });
  const w = await post(`${shadow.url}/orders`, { customer: "dan", amount: 7 });
  t.is(w.status, 201);
  t.is(await rowCount(), before + 1);
  t.like((await get(`${shadow.url}/healthz`)).data, { status: "ok", role: "live" });
  const metrics = (await get(`${shadow.url}/metrics`)).data as unknown as string;
  t.regex(metrics, /^understudy_mirrored_requests_total\{(?=.*route="\/orders")(?=.*instance="orders-shadow-1").*\} 2$/m);
  t.regex(metrics, /^understudy_role\{(?=.*role="shadow").*\} 0$/m);
  t.is(await shadow.stop(), 0);
});

test.serial("SIGTERM: in-flight request completes, exit code 0", async (t) => {
  const slow = await startService({ FAULT_DELAY_MS: "600", UNDERSTUDY_INSTANCE: "slow-1" });
  const before = await rowCount();
  const inflight = post(`${slow.url}/orders`, { customer: "eve", amount: 3 });
  await new Promise((r) => setTimeout(r, 200));
  const exit = slow.stop();
  const r = await inflight;
  t.is(r.status, 201);
  t.is(await exit, 0);
  t.is(await rowCount(), before + 1);
  t.regex(slow.output(), /"msg":"stopped"/);
});

test.serial("missing DATABASE_URL fails fast naming the variable", (t) => {
  const r = spawnSync(process.execPath, [SERVICE_MAIN], { env: { PATH: process.env.PATH ?? "", PORT: "0" }, encoding: "utf8", timeout: 10_000 });
  t.is(r.status, 2);
  t.regex(r.stderr, /DATABASE_URL: is required/);
});

test.serial("loadgen: 100 req/s for 3 s against the live instance, all succeed, counts agree", async (t) => {
  const before = await rowCount();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lg-")), "results.jsonl");
  t.teardown(() => fs.rmSync(path.dirname(out), { recursive: true, force: true }));
  const s = await runLoad({ target: live.url, rps: 100, durationSec: 3, writeRatio: 0.2, seed: 7, out });
  t.log(`requests ${s.requests} ok ${s.ok} failed ${s.failed} late ${s.late} rate ${s.achievedRps}/s p50 ${s.latencyMs.p50} p99 ${s.latencyMs.p99} max ${s.latencyMs.max} ms`);
  t.is(s.requests, 300);
  t.is(s.expectedRequests, 300);
  t.is(s.ok + s.failed + s.pending, s.requests);
  t.is(s.pending, 0);
  t.true(s.ok >= 297, JSON.stringify(s.outcomes));
  t.is(s.records.length, s.requests);
  t.is(KINDS.reduce((a, k) => a + s.byKind[k].requests, 0), s.requests);
  t.is(KINDS.reduce((a, k) => a + s.byKind[k].ok, 0), s.ok);
  t.true(Math.abs(s.achievedRps - 100) < 2);
  t.true(s.byKind.write.requests > 30 && s.byKind.write.requests < 90, `${s.byKind.write.requests}`);
  t.true(s.byKind.read_id.requests > 0);
  t.is(await rowCount(), before + s.byKind.write.ok);
  t.is(fs.readFileSync(out, "utf8").trim().split("\n").length, s.requests);
  t.false("records" in JSON.parse(JSON.stringify(s)));
});

test.serial("loadgen CLI: NAB trace, compressed, JSON summary", async (t) => {
  if (!fs.existsSync(NAB)) {
    t.pass("NAB data not present");
    return;
  }
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [LOADGEN_MAIN, "--target", live.url, "--trace", NAB, "--compress", "1800", "--base-rps", "20",
      "--peak-rps", "60", "--write-ratio", "0.1", "--duration", "1.5", "--json"]);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
  t.is(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { requests: number; ok: number; failed: number; expectedRequests: number };
  t.true(s.requests > 20 && s.requests <= 90, `${s.requests}`);
  t.true(Math.abs(s.requests - s.expectedRequests) <= 1);
  t.is(s.ok, s.requests);
  const bad = spawnSync(process.execPath, [LOADGEN_MAIN, "--target", live.url, "--trace", "/nonexistent.csv", "--base-rps", "1", "--peak-rps", "2", "--duration", "1"], { encoding: "utf8" });
  t.is(bad.status, 2);
  t.regex(bad.stderr, /trace file not found: \/nonexistent\.csv/);
});
