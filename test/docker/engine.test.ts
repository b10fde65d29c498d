// The docker platform on a real Docker engine (part of `npm test`, alone `npm run test:docker`; images
// from scripts/docker-images.sh, which both run first; the engine is started here when it is not
// running, and stopped again afterwards). The stack program runs under Pulumi mocks (no docker provider plugin can be
// built here) and every network, volume, container, upload and routing resource it declares is created
// as declared through the Engine API, in declaration order, then: traffic through the HAProxy container,
// the shadow on its own network, logical replication into the shadow's store, a load-balancer change
// through the runtime API without a new container, mirroring reaching the shadow, a killed live
// container with no failed read, the docker Observer reading the Prometheus container, and the
// rendered HAProxy configuration checked by the haproxy of the image.
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import test from "ava";
import { at, list, plain, recordResources, Registered, settle, str } from "../unit/platforms/mockStack";
import { promObserver } from "../../automation/platform/promObserver";
import { prometheusSource } from "../../automation/metrics/prometheus";
import { demux, Engine, engineAt, exec, json, tarOf } from "../../components/platforms/docker/impl/engine";
import * as routing from "../../components/platforms/docker/impl/haproxyRouting";
import { dockerQueries } from "../../components/platforms/docker/runtime/queries";

const ROOT = path.resolve(__dirname, "../../..");
// The engine of scripts/docker-engine.sh (same UNDERSTUDY_DOCKER_DIR), unless UNDERSTUDY_DOCKER_HOST names another.
const OWN_ENGINE = process.env.UNDERSTUDY_DOCKER_HOST === undefined;
const DOCKER_HOST = process.env.UNDERSTUDY_DOCKER_HOST ?? `unix://${process.env.UNDERSTUDY_DOCKER_DIR ?? path.join(ROOT, ".toolchain", "docker")}/docker.sock`;
const STACK = "dockertest";
const PREFIX = `understudy-${STACK}`;
// Ports of this test file only (no other test file uses them; bench:replication does). Below the
// ephemeral range, so no test running beside this one under ava is handed them. The containers' own
// networks are the engine's (10.214.0.0/16, names prefixed understudy-dockertest-).
const FRONTEND = 30080;
const STATS = 30404;
const PROMETHEUS = 30090;
const BASE = `http://127.0.0.1:${FRONTEND}`;

const service = (shadows: Record<string, unknown>) => ({
  orders: {
    command: "node dist/demo/service/main.js",
    port: 18100,
    replicas: 2,
    cpuCostMs: 1,
    frontendPort: FRONTEND,
    statsPort: STATS,
    store: { host: "host-1", database: "orders", schema: "demo/schema/orders.sql" },
    shadows,
    replication: { mode: "sync", maxLagSeconds: 5 },
  },
});
const config = (shadows: Record<string, unknown>): Record<string, string> => ({
  "docker:host": DOCKER_HOST,
  "understudy:platform": "docker",
  "understudy:hosts": JSON.stringify(["host-1", "host-2", "host-3", "host-4"]),
  "understudy:services": JSON.stringify(service(shadows)),
  "understudy:loadBalancer": JSON.stringify({ checkIntervalMs: 500 }),
  "understudy:prometheus": JSON.stringify({ port: PROMETHEUS, scrapeIntervalSeconds: 1 }),
  "understudy:docker": JSON.stringify({
    images: { orders: "understudy/orders:latest" },
    haproxyImage: "understudy/haproxy:2.6",
    postgresImage: "understudy/postgres:15",
    prometheusImage: "understudy/prometheus:2.42",
    publishAddress: "127.0.0.1",
  }),
});
const FIRST = config({ count: 1, weightPercent: 0, mirrorPercent: 0 });
// A load-balancer change: a canary share and mirroring on.
const SECOND = config({ count: 1, weightPercent: 10, mirrorPercent: 100 });

const registered = recordResources(STACK);
pulumi.runtime.setAllConfig(FIRST);
const { understudyProgram } = require("../../components/program") as typeof import("../../components/program");
const { parseStackConfig } = require("../../components/config") as typeof import("../../components/config");

const engine: Engine = engineAt(DOCKER_HOST);
const CONTAINER = "docker:index/container:Container";
const ROUTING = "pulumi-nodejs:dynamic/docker:haproxy-routing";
let first: Registered[] = [];
let second: Registered[] = [];

// --- the declarations, created on the engine as declared ---------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Bounds are generous: on 2 busy cores (a Go build, other test files beside this one) a container's
// first health check or PostgreSQL's initdb can take many times what it takes on an idle machine.
async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

const nanos = (d: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`duration '${d}' not understood`);
  return Math.round(Number(m[1]) * { ms: 1e6, s: 1e9, m: 60e9 }[m[2] as "ms" | "s" | "m"]);
};

async function logsOf(id: string): Promise<string> {
  const r = await engine.request("GET", `/containers/${id}/logs?stdout=1&stderr=1&tail=30`);
  const { stdout, stderr } = demux(r.body);
  return stdout + stderr;
}

/** The Engine API body of a docker.Container's inputs. */
function containerBody(c: Record<string, unknown>, images: Map<string, string>) {
  const image = images.get(str(c.image));
  if (!image) throw new Error(`container ${str(c.name)}: image ${str(c.image)} was not declared by a RemoteImage`);
  const ports = list(c.ports).map((p) => ({ key: `${String(at(p, "internal"))}/tcp`, ip: str(at(p, "ip")), external: String(at(p, "external")) }));
  const hc = at(c, "healthcheck");
  const nets = list(c.networksAdvanced).map((n) => ({ name: str(at(n, "name")), aliases: list(at(n, "aliases")).map(str) }));
  return {
    nets,
    body: {
      Image: image,
      Cmd: c.command === undefined ? undefined : list(c.command).map(str),
      Env: list(plain(c.envs)).map(str),
      Labels: Object.fromEntries(list(c.labels).map((l) => [str(at(l, "label")), str(at(l, "value"))])),
      ExposedPorts: Object.fromEntries(ports.map((p) => [p.key, {}])),
      Healthcheck: hc
        ? { Test: list(at(hc, "tests")).map(str), Interval: nanos(str(at(hc, "interval"))), Timeout: nanos(str(at(hc, "timeout"))), Retries: Number(at(hc, "retries")) }
        : undefined,
      HostConfig: {
        PortBindings: Object.fromEntries(ports.map((p) => [p.key, [{ HostIp: p.ip, HostPort: p.external }]])),
        RestartPolicy: { Name: str(c.restart) || "no" },
        Mounts: list(c.volumes).map((v) => ({ Type: "volume", Source: str(at(v, "volumeName")), Target: str(at(v, "containerPath")) })),
      },
      NetworkingConfig: nets.length ? { EndpointsConfig: { [nets[0].name]: { Aliases: nets[0].aliases } } } : undefined,
    },
  };
}

async function createContainer(c: Record<string, unknown>, images: Map<string, string>): Promise<string> {
  const name = str(c.name);
  const { body, nets } = containerBody(c, images);
  const { Id } = await json<{ Id: string }>(engine, "POST", `/containers/create?name=${encodeURIComponent(name)}`, body);
  for (const n of nets.slice(1)) await json(engine, "POST", `/networks/${encodeURIComponent(n.name)}/connect`, { Container: Id, EndpointConfig: { Aliases: n.aliases } });
  const uploads = list(c.uploads).map((u) => ({ path: str(at(u, "file")), content: str(at(u, "content")) }));
  if (uploads.length) {
    const r = await engine.request("PUT", `/containers/${Id}/archive?path=/`, tarOf(uploads), "application/x-tar");
    if (r.status >= 300) throw new Error(`uploads into ${name}: ${r.status} ${r.body.toString()}`);
  }
  await json(engine, "POST", `/containers/${Id}/start`);
  if (c.attach === true) {
    // A one-shot step (attach, mustRun false): done when it exits 0.
    const { StatusCode } = await json<{ StatusCode: number }>(engine, "POST", `/containers/${Id}/wait`);
    if (StatusCode !== 0) throw new Error(`${name} exited ${StatusCode}: ${await logsOf(Id)}`);
  }
  if (c.wait === true) {
    await until(`${name} healthy`, async () => {
      const s = await json<{ State: { Health?: { Status: string } } }>(engine, "GET", `/containers/${Id}/json`);
      return s.State.Health?.Status === "healthy" ? true : undefined;
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}; logs: ${await logsOf(Id)}`);
    });
  }
  return Id;
}

const ids = new Map<string, string>();

async function realize(rs: Registered[]): Promise<void> {
  const images = new Map<string, string>();
  for (const r of rs) {
    if (r.type === "docker:index/network:Network") await json(engine, "POST", "/networks/create", { Name: str(r.inputs.name), CheckDuplicate: true });
    else if (r.type === "docker:index/volume:Volume") await json(engine, "POST", "/volumes/create", { Name: str(r.inputs.name) });
    else if (r.type === "docker:index/remoteImage:RemoteImage") {
      const ref = str(r.inputs.name);
      const found = await engine.request("GET", `/images/${encodeURIComponent(ref)}/json`);
      if (found.status !== 200) throw new Error(`image ${ref} is not on the engine: run scripts/docker-images.sh`);
      images.set(`${r.name}-image-id`, ref);
    } else if (r.type === CONTAINER) ids.set(str(r.inputs.name), await createContainer(r.inputs, images));
    else if (r.type === ROUTING) await routing.create(routingInputs(r));
    else if (r.type.startsWith("docker:")) throw new Error(`the test does not know how to create ${r.type}`);
  }
}

function routingInputs(r: Registered): routing.DockerRoutingInputs {
  const i = plain(r.inputs) as routing.DockerRoutingInputs;
  return { ...i, containerId: ids.get(i.container) ?? "" };
}

async function removeAll(): Promise<void> {
  const mine = (n: string) => n.replace(/^\//, "").startsWith(PREFIX);
  const cs = await json<{ Id: string; Names: string[] }[]>(engine, "GET", "/containers/json?all=1");
  for (const c of cs.filter((x) => x.Names.some(mine))) await engine.request("DELETE", `/containers/${c.Id}?force=1&v=1`);
  const ns = await json<{ Id: string; Name: string }[]>(engine, "GET", "/networks");
  for (const n of ns.filter((x) => mine(x.Name))) await engine.request("DELETE", `/networks/${n.Id}`);
  const vs = await json<{ Volumes: { Name: string }[] | null }>(engine, "GET", "/volumes");
  for (const v of (vs.Volumes ?? []).filter((x) => mine(x.Name))) await engine.request("DELETE", `/volumes/${v.Name}`);
}

// --- HTTP through the published HAProxy --------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function call(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(`${BASE}${p}`, { method, agent, timeout: 30_000, headers: { ...headers, ...(payload ? { "content-type": "application/json" } : {}) } }, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(payload);
  });
}

const inspect = (name: string) => json<{ Id: string; State: { StartedAt: string; Running: boolean }; NetworkSettings: { Networks: Record<string, unknown> } }>(engine, "GET", `/containers/${name}/json`);
const psql = async (container: string, sql: string): Promise<string> => {
  const r = await exec(engine, container, ["psql", "-U", "understudy", "-d", "orders", "-tAc", sql]);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};

let orderId = "";
let engineStarted = false;

/** Starts scripts/docker-engine.sh's engine when it does not answer (the images are its business). */
async function ensureEngine(): Promise<void> {
  const answers = async () => (await engine.request("GET", "/_ping").catch(() => ({ status: 0 }))).status === 200;
  if (await answers()) return;
  if (!OWN_ENGINE) throw new Error(`no Docker engine answers at ${DOCKER_HOST} (UNDERSTUDY_DOCKER_HOST)`);
  execFileSync("bash", [path.join(ROOT, "scripts", "docker-engine.sh"), "start"], { stdio: ["ignore", "ignore", "inherit"], timeout: 120_000 });
  engineStarted = true;
  if (!(await answers())) throw new Error(`the Docker engine at ${DOCKER_HOST} did not answer after scripts/docker-engine.sh start`);
}

test.before(async () => {
  await ensureEngine();
  understudyProgram(ROOT, FIRST);
  await settle();
  first = registered.splice(0);
  // The same program after a load-balancer change: what `up` would then be asked to make.
  understudyProgram(ROOT, SECOND);
  await settle();
  second = registered.splice(0);
  await removeAll();
  const t0 = Date.now();
  await realize(first);
  console.log(`stack created on the engine in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await until("the service through HAProxy", async () => ((await call("GET", "/orders")).status === 200 ? true : undefined));
});

test.after.always(async () => {
  agent.destroy();
  if (process.env.UNDERSTUDY_DOCKER_KEEP) return;
  await removeAll();
  // Left as found.
  if (engineStarted) execFileSync("bash", [path.join(ROOT, "scripts", "docker-engine.sh"), "stop"], { stdio: "inherit", timeout: 60_000 });
});

test.serial("traffic is served through the HAProxy container", async (t) => {
  const created = await call("POST", "/orders", { customer: "ada", amount: 12.5, items: 2 }, { "x-request-id": `docker-${Date.now()}` });
  t.is(created.status, 201, created.body);
  orderId = String((JSON.parse(created.body) as { id: number }).id);
  const read = await call("GET", `/orders/${orderId}`);
  t.is(read.status, 200);
  t.is((JSON.parse(read.body) as { customer: string }).customer, "ada");
});

test.serial("the shadow runs on its own host's network (and the backbone), live instances never there", async (t) => {
  const shadow = await inspect(`${PREFIX}-orders-shadow-host-3`);
  t.deepEqual(Object.keys(shadow.NetworkSettings.Networks).sort(), [`${PREFIX}-backbone`, `${PREFIX}-host-3`]);
  for (const h of ["host-1", "host-2"]) {
    const live = await inspect(`${PREFIX}-orders-live-${h}`);
    t.deepEqual(Object.keys(live.NetworkSettings.Networks).sort(), [`${PREFIX}-backbone`, `${PREFIX}-${h}`]);
  }
});

test.serial("logical replication carries the write into the shadow's own store", async (t) => {
  const replica = `${PREFIX}-orders-store-host-3`;
  const row = await until("the order in the shadow's store", async () => ((await psql(replica, `SELECT customer FROM orders WHERE id = ${orderId}`)) || undefined), 60_000);
  t.is(row, "ada");
  // The shadow reads it from there, through its own store.
  const r = await exec(engine, `${PREFIX}-orders-shadow-host-3`, ["wget", "-qO-", `http://127.0.0.1:18100/orders/${orderId}`]);
  t.regex(r.stdout, /"customer":"ada"/);
});

test.serial("a load-balancer change goes through HAProxy's runtime API: same container, no restart", async (t) => {
  const lbName = `${PREFIX}-orders-lb`;
  const declared = (rs: Registered[]) => rs.find((r) => r.type === CONTAINER && r.inputs.name === lbName)?.inputs;
  // What the program declares for the container does not change, so `up` would not replace it ...
  t.deepEqual(plain(declared(second)), plain(declared(first)));
  const before = await inspect(lbName);
  // ... and the routing resource, which does change, is applied as `up` would (its update).
  const r1 = first.find((r) => r.type === ROUTING);
  const r2 = second.find((r) => r.type === ROUTING);
  if (!r1 || !r2) return t.fail("no routing resource declared");
  t.notDeepEqual(plain(r2.inputs.entries), plain(r1.inputs.entries));
  await routing.update(`${lbName}:routing`, routingInputs(r1), routingInputs(r2));
  const after = await inspect(lbName);
  t.is(after.Id, before.Id);
  t.is(after.State.StartedAt, before.State.StartedAt);
  const map = await exec(engine, lbName, ["bash", "-c", 'exec 3<>/dev/tcp/127.0.0.1/9999; echo "show map /usr/local/etc/haproxy/routing.map" >&3; cat <&3']);
  t.regex(map.stdout, /mirror_percent 100/);
  t.regex(map.stdout, /shadow_weight 10/);
  // A restart of the container reads the same values from the file the change rewrote.
  t.regex((await exec(engine, lbName, ["cat", "/usr/local/etc/haproxy/routing.map"])).stdout, /mirror_percent 100\n/);
});

test.serial("mirroring reaches the shadow (copies marked, answered, never stored)", async (t) => {
  const mirrored = async (): Promise<number> => {
    const r = await exec(engine, `${PREFIX}-orders-shadow-host-3`, ["wget", "-qO-", "http://127.0.0.1:18100/metrics"]);
    return r.stdout
      .split("\n")
      .filter((l) => l.startsWith("http_requests_total{") && l.includes('mirrored="true"'))
      .reduce((s, l) => s + Number(l.split(" ").pop()), 0);
  };
  const lbCopies = async (): Promise<string> => {
    const r = await new Promise<string>((resolve, reject) => http.get(`http://127.0.0.1:${STATS}/mirror-metrics`, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve(b));
    }).on("error", reject));
    return r.split("\n").filter((l) => l.startsWith("understudy_mirror_requests_total")).join("; ");
  };
  // HAProxy copies only to a shadow it counts usable (health-checked up); the previous test's routing
  // change may have it between checks. Reads until one copy is sent, then settle, then measure.
  const sent = async (): Promise<number> => Number(/outcome="sent"\} (\d+)/.exec(await lbCopies())?.[1] ?? 0);
  const sent0 = await sent();
  for (const until = Date.now() + 30_000; Date.now() < until && (await sent()) === sent0; ) {
    await call("GET", `/orders/${orderId}`);
    await sleep(100);
  }
  await sleep(500);
  const before = await mirrored();
  for (let i = 0; i < 40; i++) t.is((await call("GET", `/orders/${orderId}`)).status, 200);
  // About 36 expected: every read is copied except the ~10 % the canary share sends to the shadow itself.
  let count = 0;
  const end = Date.now() + 60_000;
  while (Date.now() < end && count < 25) {
    count = (await mirrored()) - before;
    await sleep(250);
  }
  t.true(count >= 25, `${count} copies of 40 reached the shadow; the load balancer counts ${await lbCopies()}`);
  t.regex(await lbCopies(), /outcome="failed"\} 0/);
});

test.serial("kill -9 of a live container under load: no failed read", async (t) => {
  // Reads before the kill and for at least 5 s and 100 reads after it (bounded: a minute), however
  // slowly a contended machine serves them.
  let before = 0;
  let after = 0;
  const failures: string[] = [];
  let killedAt = 0;
  const giveUpAt = Date.now() + 60_000;
  const done = () => Date.now() > giveUpAt || (killedAt > 0 && Date.now() - killedAt >= 5000 && after >= 100);
  const worker = async () => {
    while (!done()) {
      const afterKill = killedAt > 0;
      try {
        const r = await call("GET", `/orders/${orderId}`);
        if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
        else if (afterKill) after++;
        else before++;
      } catch (e) {
        failures.push((e as Error).message);
      }
      await sleep(10);
    }
  };
  const killer = (async () => {
    await sleep(2000);
    await json(engine, "POST", `/containers/${PREFIX}-orders-live-host-1/kill?signal=SIGKILL`);
    killedAt = Date.now();
  })();
  await Promise.all([worker(), worker(), worker(), killer]);
  t.true(killedAt > 0);
  t.deepEqual(failures, []);
  t.true(before > 0, `${before} reads before the kill`);
  t.true(after >= 100, `${after} reads after the kill, in ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
  t.log(`${before} reads before and ${after} after live-host-1 was killed (${((Date.now() - killedAt) / 1000).toFixed(1)} s), ${failures.length} failed`);
});

test.serial("the docker Observer reads the Prometheus container: instances with role and host, load", async (t) => {
  const observer = promObserver(prometheusSource(`http://127.0.0.1:${PROMETHEUS}`), dockerQueries);
  const spec = parseStackConfig(SECOND);
  for (let i = 0; i < 20; i++) await call("GET", `/orders/${orderId}`);
  const seen = await until("observations of every instance and the load", async () => {
    const o = await observer.observe(spec, Date.now());
    const inst = o.observations.services.orders ?? [];
    return inst.length === 3 && inst.every((x) => x.requestRate !== undefined) && (o.loads.orders ?? 0) > 0 ? o : undefined;
  }, 120_000);
  const inst = seen.observations.services.orders;
  t.deepEqual(inst.map((x) => [x.role, x.host]).sort(), [["live", "host-1"], ["live", "host-2"], ["shadow", "host-3"]]);
  // The container killed above stays down (a killed container is not restarted by its policy): seen so.
  t.deepEqual(inst.map((x) => [x.host, x.up]).sort(), [["host-1", false], ["host-2", true], ["host-3", true]]);
  t.true((seen.loads.orders ?? 0) > 0);
  t.true(inst.filter((x) => x.up).every((x) => (x.cpu ?? 0) > 0 && (x.memoryBytes ?? 0) > 0 && x.p99Ms !== undefined), JSON.stringify(inst));
});

test.serial("the rendered HAProxy configuration is valid for the haproxy in the image (haproxy -c)", async (t) => {
  const lb = first.find((r) => r.type === CONTAINER && r.inputs.name === `${PREFIX}-orders-lb`)?.inputs ?? {};
  const uploads = list(lb.uploads).map((u) => ({ path: str(at(u, "file")), content: str(at(u, "content")) }));
  const cfg = uploads.find((u) => u.path.endsWith("haproxy.cfg"))?.path ?? "";
  const { Id } = await json<{ Id: string }>(engine, "POST", `/containers/create?name=${PREFIX}-haproxy-check`, {
    Image: "understudy/haproxy:2.6",
    Cmd: ["sh", "-c", `haproxy -v | head -n 1; haproxy -c -f ${cfg}`],
    HostConfig: { NetworkMode: "none" },
  });
  await engine.request("PUT", `/containers/${Id}/archive?path=/`, tarOf(uploads), "application/x-tar");
  await json(engine, "POST", `/containers/${Id}/start`);
  const { StatusCode } = await json<{ StatusCode: number }>(engine, "POST", `/containers/${Id}/wait`);
  const out = await logsOf(Id);
  t.log(out.trim());
  t.is(StatusCode, 0, out);
  t.regex(out, /HAProxy version 2\.6/);
});
