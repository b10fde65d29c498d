// Runs inside the pod network's namespace (podNetwork.ts): for every pod the parent test reports,
// a server on the pod's IP and port answers /metrics as the pod's container would. The parent sends
// the whole picture as one JSON line whenever it changes (standIns.ts); counters grow here, with time.
import * as http from "node:http";
import * as readline from "node:readline";
import { appMetrics, Counters, newCounters, PodMetricsState, storeMetrics } from "./podMetrics";

let state: PodMetricsState = { pods: [], load: {}, store: { walPosition: 0, lagSeconds: 0, receivedBytes: 0, pendingBytes: 0 }, subscriptions: [] };
const servers = new Map<string, http.Server>();
const counters = new Map<string, Counters>();
const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

function handler(key: string) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    const pod = state.pods.find((p) => `${p.ip}:${p.port}` === key);
    if (!pod) {
      res.writeHead(404).end();
      return;
    }
    if (pod.store) {
      res.writeHead(200, { "content-type": TEXT_FORMAT }).end(storeMetrics(pod.store, state.store, state.subscriptions));
      return;
    }
    const load = state.load[pod.instance ?? ""] ?? state.defaultLoad ?? { rps: 20, cpu: 0.3, up: true };
    if (!load.up) {
      res.writeHead(503).end("down");
      return;
    }
    if (!counters.has(pod.name)) counters.set(pod.name, newCounters());
    res.writeHead(200, { "content-type": TEXT_FORMAT }).end(appMetrics(load, counters.get(pod.name) as Counters));
  };
}

async function apply(next: PodMetricsState): Promise<void> {
  state = next;
  for (const p of state.pods) {
    const key = `${p.ip}:${p.port}`;
    if (servers.has(key)) continue;
    const server = http.createServer(handler(key));
    servers.set(key, server);
    await new Promise<void>((resolve) => server.once("error", () => resolve()).listen(p.port, p.ip, () => resolve()));
  }
  process.stdout.write(`${JSON.stringify({ serving: [...servers.keys()] })}\n`);
}

let chain = Promise.resolve();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  chain = chain.then(() => apply(JSON.parse(line) as PodMetricsState));
}).on("close", () => {
  for (const s of servers.values()) s.close();
  process.exit(0);
});
