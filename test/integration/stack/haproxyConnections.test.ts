// The shared HAProxy configuration (components/haproxy) on a real HAProxy in front of a real HTTP
// server: what clients' connections and the health checks go through when the machine is busy or
// HAProxy reloads. Each property here was a failed client request in the main job or under contention.
import test from "ava";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseStackConfig } from "../../../components/config";
import { CHECK_TIMEOUT_MS, CLIENT_KEEP_ALIVE_ANNOUNCED_S, SERVER_MAXCONN } from "../../../components/haproxy/config";
import { adminCommand } from "../../../components/platforms/local/impl/haproxyRouting";
import { agentPort, renderHaproxyConfig } from "../../../components/platforms/local/haproxyConfig";
import { requireBinary } from "../../../components/platforms/local/impl/exec";

const FRONTEND = 28710;
const STATS = 28711;
const BACKEND = 28720;
const INTER_MS = 1000;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "understudy-haproxy-"));
const socket = path.join(dir, "admin.sock");
let haproxy: ChildProcess;
let backend: http.Server;
let agent: net.Server;
/** How long the backend's /healthz takes to answer (a busy process). */
let healthDelayMs = 0;
/** How long the backend's /slow takes. */
const SLOW_MS = 800;
let inFlight = 0;
let maxInFlight = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request on a raw socket, so the test decides when the connection is reused; the head only. */
function request(s: net.Socket, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let head = "";
    const onData = (d: Buffer) => {
      head += d.toString("latin1");
      if (head.includes("\r\n\r\n")) {
        s.off("data", onData);
        s.off("error", reject);
        resolve(head.slice(0, head.indexOf("\r\n\r\n")));
      }
    };
    s.on("data", onData);
    s.once("error", reject);
    s.write(`GET ${p} HTTP/1.1\r\nHost: t\r\n\r\n`);
  });
}

async function connect(): Promise<net.Socket> {
  const s = net.connect(FRONTEND, "127.0.0.1");
  await new Promise((r, j) => s.once("connect", r).once("error", j));
  // A reset shows up as a failed request (request() rejects); between requests it must not crash the run.
  s.on("error", () => undefined);
  return s;
}

async function serverState(name: string): Promise<string> {
  const csv = await adminCommand(socket, "show stat");
  const row = csv.split("\n").find((l) => l.startsWith(`be_orders_live,${name},`));
  if (!row) throw new Error(`no stats row for ${name}: ${csv}`);
  return row.split(",")[17];
}

async function workerPid(): Promise<string> {
  return /^Pid: (\d+)$/m.exec(await adminCommand(socket, "show info"))?.[1] ?? "";
}

test.before(async () => {
  // SO_REUSEPORT would let a leftover HAProxy on these ports answer part of the requests.
  const taken = await new Promise<boolean>((r) => net.connect(FRONTEND, "127.0.0.1").once("connect", function (this: net.Socket) { this.destroy(); r(true); }).once("error", () => r(false)));
  if (taken) throw new Error(`port ${FRONTEND} is in use: another HAProxy from an earlier run?`);
  backend = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const wait = req.url === "/healthz" ? healthDelayMs : req.url === "/slow" ? SLOW_MS : 0;
    setTimeout(() => {
      inFlight--;
      res.end("ok");
    }, wait);
  });
  // The service's own keep-alive (with HAProxy), which must not reach the client as HAProxy's.
  backend.keepAliveTimeout = 5000;
  await new Promise<void>((r) => backend.listen(BACKEND, "127.0.0.1", r));
  // As the service's agent: HAProxy may reset the connection once it has the answer.
  agent = net.createServer((s) => s.on("error", () => undefined).end("100%\n"));
  await new Promise<void>((r) => agent.listen(agentPort(BACKEND), "127.0.0.1", r));
  const spec = parseStackConfig({
    "understudy:loadBalancer": { port: FRONTEND, statsPort: STATS, checkIntervalMs: INTER_MS },
    "understudy:services": { orders: { command: "x", port: BACKEND, replicas: 1, shadows: { count: 0 } } },
  });
  const cfg = path.join(dir, "haproxy.cfg");
  fs.writeFileSync(path.join(dir, "routing.map"), "");
  fs.writeFileSync(
    cfg,
    renderHaproxyConfig({
      service: spec.services[0],
      lb: spec.loadBalancer,
      live: [{ name: "orders-live-host-1", address: "127.0.0.1", port: BACKEND }],
      shadows: [],
      adminSocket: socket,
      routingMap: path.join(dir, "routing.map"),
    }),
  );
  haproxy = spawn(requireBinary("haproxy", "haproxy"), ["-W", "-db", "-f", cfg], { stdio: "ignore" });
  for (let i = 0; i < 100 && !fs.existsSync(socket); i++) await sleep(100);
  // Up once a first check has passed.
  for (let i = 0; i < 50 && !(await serverState("orders-live-host-1")).startsWith("UP"); i++) await sleep(100);
});

test.after.always(async () => {
  // Ports are shared with SO_REUSEPORT: an HAProxy left running would take part of the next run's
  // connections. Its master stops its workers on SIGTERM; wait for that, and force it if need be.
  if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) {
    const exited = new Promise((r) => haproxy.once("exit", r));
    haproxy.kill("SIGTERM");
    if ((await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) === false) haproxy.kill("SIGKILL");
  }
  backend?.closeAllConnections();
  backend?.close();
  agent?.close();
  await sleep(200);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial("HAProxy announces its own keep-alive time and keeps an idle connection open past it", async (t) => {
  const s = await connect();
  try {
    const head = await request(s, "/orders");
    t.regex(head, /^HTTP\/1\.1 200/);
    t.regex(head, new RegExp(`\\r\\nkeep-alive: timeout=${CLIENT_KEEP_ALIVE_ANNOUNCED_S}(\\r\\n|$)`, "i"));
    t.notRegex(head, /timeout=5\b/, "the service's keep-alive with HAProxy is not passed on");
    // A client that honours the announcement closes before it; one stalled by a busy machine for
    // another second still finds the connection open (HAProxy's former 10 s closed it: a reset).
    let closedByServer = false;
    s.once("end", () => (closedByServer = true));
    await sleep((CLIENT_KEEP_ALIVE_ANNOUNCED_S + 1) * 1000);
    t.false(closedByServer, "HAProxy closed an idle connection before the time it announced");
    t.regex(await request(s, "/orders"), /^HTTP\/1\.1 200/);
  } finally {
    s.destroy();
  }
});

test.serial("a reload answers an idle connection's next request and closes it after the response, never under it", async (t) => {
  const idle = await Promise.all(Array.from({ length: 4 }, connect));
  try {
    for (const s of idle) await request(s, "/orders");
    const closed = new Set<net.Socket>();
    for (const s of idle) s.once("end", () => closed.add(s));
    const former = await workerPid();
    haproxy.kill("SIGUSR2");
    let current = former;
    for (let i = 0; i < 100 && (current === former || current === ""); i++) {
      await sleep(100);
      current = await workerPid().catch(() => "");
    }
    t.not(current, former, "HAProxy reloaded");
    // Time for the former worker to act on its idle connections, were it to close them.
    await sleep(1000);
    t.is(closed.size, 0, "the former worker closed idle connections a client may be writing to");
    for (const s of idle) {
      const head = await request(s, "/orders");
      t.regex(head, /^HTTP\/1\.1 200/);
      t.regex(head, /\r\nconnection: close/i, "the former worker tells the client not to reuse the connection");
    }
  } finally {
    for (const s of idle) s.destroy();
  }
});

test.serial("a live server slower to answer its health check than the check interval stays up", async (t) => {
  healthDelayMs = Math.round(INTER_MS * 1.5);
  t.true(healthDelayMs < CHECK_TIMEOUT_MS);
  try {
    // Several checks (each one past the interval) while it is slow: with the check timeout at the
    // interval, two in a row failed and the only live server went down (writes then went to a shadow).
    const states: string[] = [];
    for (let i = 0; i < 8; i++) {
      await sleep(1000);
      states.push(await serverState("orders-live-host-1"));
    }
    t.true(
      states.every((x) => x.startsWith("UP")),
      states.join(", "),
    );
  } finally {
    healthDelayMs = 0;
  }
});

test.serial("a server takes at most SERVER_MAXCONN requests at once; the rest wait in HAProxy's queue and are served", async (t) => {
  maxInFlight = 0;
  const n = SERVER_MAXCONN + 15;
  const agentPool = new http.Agent({ keepAlive: false, maxSockets: n });
  const statuses = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<number>((resolve) => {
          http
            .get({ host: "127.0.0.1", port: FRONTEND, path: "/slow", agent: agentPool }, (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            })
            .on("error", () => resolve(0));
        }),
    ),
  );
  agentPool.destroy();
  t.deepEqual(statuses, Array(n).fill(200));
  // Checks are not client requests: allow the one that may be in flight beside them.
  t.true(maxInFlight <= SERVER_MAXCONN + 1, `the server saw ${maxInFlight} requests at once`);
  t.true(maxInFlight >= SERVER_MAXCONN, `the server saw only ${maxInFlight} at once`);
});
