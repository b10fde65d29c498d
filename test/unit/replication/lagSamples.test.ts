// The exporter's core: observations to samples, and a lag that keeps growing while a shadow is down.
import test from "ava";
import { ReplicationTopology } from "../../../automation/replication/driver";
import { lagSamples } from "../../../automation/replication/lagSamples";

const topo: ReplicationTopology = {
  service: "orders",
  driver: "logical",
  mode: "sync",
  tables: ["orders"],
  primary: { host: "host-1", url: "postgres://u:p@127.0.1.1:1/orders" },
  replicas: [{ host: "host-3", url: "postgres://u:p@127.0.1.3:1/orders", subscription: "understudy_orders_host_3" }],
};
const base = { applyErrors: 2, syncErrors: 0, syncStandby: true };

test("labels service/shadow/host, one state set to 1, error counts", (t) => {
  const { samples } = lagSamples(topo, { primary: { host: "host-1", reachable: true }, replicas: [{ host: "host-3", state: "streaming", lagBytes: 120, lagSeconds: 0.02, ...base }] }, {}, 1000);
  const lag = samples.find((s) => s.name === "understudy_replication_lag_seconds");
  t.deepEqual(lag, { name: "understudy_replication_lag_seconds", labels: { service: "orders", shadow: "orders-shadow-host-3", host: "host-3", driver: "logical" }, value: 0.02 });
  const states = samples.filter((s) => s.name === "understudy_replication_state");
  t.deepEqual(states.filter((s) => s.value === 1).map((s) => s.labels.state), ["streaming"]);
  t.is(samples.find((s) => s.name === "understudy_replication_apply_errors_total")?.value, 2);
  t.is(samples.find((s) => s.name === "understudy_replication_lag_bytes")?.value, 120);
});

test("a shadow that went down: seconds since it was last seen caught up", (t) => {
  const first = lagSamples(topo, { primary: { host: "host-1", reachable: true }, replicas: [{ host: "host-3", state: "streaming", lagBytes: 0, lagSeconds: 0, ...base }] }, {}, 10_000);
  const later = lagSamples(topo, { primary: { host: "host-1", reachable: true }, replicas: [{ host: "host-3", state: "unreachable", lagBytes: 4096, ...base }] }, first.caughtUp, 17_500);
  t.is(later.samples.find((s) => s.name === "understudy_replication_lag_seconds")?.value, 7.5);
  t.is(later.samples.find((s) => s.name === "understudy_replication_state" && s.labels.state === "unreachable")?.value, 1);
});
