// The replication lag exporter the stack runs for each replicated service (supervised like the
// other processes): every scrape observes the primary and the replicas through the driver.
// Environment: HOST, PORT, UNDERSTUDY_REPLICATION (JSON topology, secret: it holds passwords).
import * as http from "node:http";
import { Gauge, Registry } from "prom-client";
import { driverFor } from "./drivers";
import { ReplicationTopology } from "./driver";
import { CaughtUp, lagSamples, Sample } from "./lagSamples";
import { readStreamTails } from "./streamDriver";

const HELP: Record<string, string> = {
  understudy_replication_primary_up: "1 when the primary store answers",
  understudy_replication_lag_seconds: "How far behind the primary a shadow's store is, in seconds",
  understudy_replication_lag_bytes: "Primary WAL bytes a shadow's store has not applied",
  understudy_replication_lag_offsets: "Stream messages a shadow's store has not applied (stream driver)",
  understudy_replication_state: "1 for the replica's current state (streaming, catchup, initializing, stopped, disabled, missing, unreachable)",
  understudy_replication_apply_errors_total: "Errors applying replicated changes (pg_stat_subscription_stats, or consumer apply failures)",
  understudy_replication_sync_errors_total: "Errors during the initial copy",
  understudy_replication_sync_standby: "1 when the primary counts this shadow for synchronous commit",
};

function main(): void {
  const topology = JSON.parse(process.env.UNDERSTUDY_REPLICATION ?? "") as ReplicationTopology;
  const driver = driverFor(topology.driver);
  readStreamTails();
  const registry = new Registry();
  const gauges = new Map<string, Gauge>();
  const gauge = (s: Sample): Gauge => {
    let g = gauges.get(s.name);
    if (!g) {
      g = new Gauge({ name: s.name, help: HELP[s.name] ?? s.name, labelNames: Object.keys(s.labels), registers: [registry] });
      gauges.set(s.name, g);
    }
    return g;
  };
  let caughtUp: CaughtUp = {};
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    driver
      .observe(topology)
      .then(async (o) => {
        const out = lagSamples(topology, o, caughtUp, Date.now());
        caughtUp = out.caughtUp;
        for (const g of gauges.values()) g.reset();
        for (const s of out.samples) gauge(s).set(s.labels, s.value);
        res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
      })
      .catch((e: unknown) => {
        res.writeHead(500).end(`observation failed: ${(e as Error).message}\n`);
      });
  });
  server.listen(Number(process.env.PORT ?? 19187), process.env.HOST ?? "127.0.0.1");
  const stop = (): void => void server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
