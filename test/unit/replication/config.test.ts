// Replication keys of the stack config: defaults, validation, and the sockets they claim.
import test from "ava";
import { parseStackConfig } from "../../../components/config";

const svc = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  command: "node dist/demo/service/main.js",
  replicas: 2,
  store: { host: "host-1", schema: "demo/schema/orders.sql" },
  shadows: { count: 2 },
  ...over,
});
const parse = (s: Record<string, unknown>) => parseStackConfig({ "understudy:services": JSON.stringify({ orders: s }) });

test("defaults: sync, logical driver, exporter on 19187, stream ports from 15552", (t) => {
  const r = parse(svc()).services[0].replication;
  t.deepEqual(r, { mode: "sync", maxLagSeconds: 5, driver: "logical", metricsPort: 19187, streamPort: 15552 });
});

test("the driver is logical or stream, named in the error otherwise", (t) => {
  t.is(parse(svc({ replication: { driver: "stream" } })).services[0].replication.driver, "stream");
  t.throws(() => parse(svc({ replication: { driver: "kafka" } })), { message: /understudy:services\.orders\.replication\.driver: must be one of logical, stream/ });
});

test("a service with shadows and a store needs the schema the stack manages", (t) => {
  t.throws(() => parse(svc({ store: { host: "host-1" } })), { message: /understudy:services\.orders\.store\.schema: is required when the service has shadows/ });
  // No shadows: nothing to replicate, no schema needed.
  t.notThrows(() => parse(svc({ store: { host: "host-1" }, shadows: { count: 0 } })));
});

test("the exporter's port and, with the stream driver, the broker's three ports are claimed", (t) => {
  t.throws(() => parse(svc({ replication: { metricsPort: 19090 } })), { message: /replication exporter of 'orders' and prometheus both listen on 127\.0\.0\.1:19090/ });
  t.throws(() => parse(svc({ replication: { driver: "stream", streamPort: 19088 } })), { message: /Erlang distribution|epmd|prometheus/ });
  // The logical driver runs no broker: the same ports are free.
  t.notThrows(() => parse(svc({ replication: { streamPort: 19088 } })));
});

test("a replica store is claimed on each shadow host at the store's port", (t) => {
  // The primary on host-4 (no instance there); the service's own port equals the store's on the shadow hosts.
  const s = svc({ port: 15432, replicas: 1, store: { host: "host-4", schema: "demo/schema/orders.sql" } });
  t.throws(() => parse(s), { message: /the store of 'orders' on host-2 \(shadow replica\) and service 'orders' on host-2 both listen on 127\.0\.1\.2:15432/ });
});
