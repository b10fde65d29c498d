// The replication stream under Pulumi mocks: what the local platform declares for a service with
// shadows, where, and with which settings.
import * as pulumi from "@pulumi/pulumi";
import test from "ava";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

void pulumi.runtime.setMocks(
  {
    newResource: (a: pulumi.runtime.MockResourceArgs) => {
      registered.push({ type: a.type, name: a.name, inputs: a.inputs as Record<string, unknown> });
      return { id: `${a.name}-id`, state: { ...(a.inputs as Record<string, unknown>), password: "pw", postgresBinary: "/usr/lib/postgresql/15/bin/postgres" } };
    },
    call: () => ({}),
  },
  "understudy",
  "unit",
  false,
);

const { understudyProgram } = require("../../../components/program") as typeof import("../../../components/program");

const services = (replication: Record<string, unknown>, storeHost = "host-1") =>
  JSON.stringify({
    orders: {
      command: "node dist/demo/service/main.js",
      replicas: 2,
      store: { host: storeHost, schema: "demo/schema/orders.sql" },
      shadows: { count: 2 },
      replication,
    },
  });

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
const named = (n: string): Registered | undefined => registered.find((r) => r.name === n);

test.serial("a store per shadow host, schema on every store, a subscription per shadow, sync standbys on the primary", async (t) => {
  understudyProgram(process.cwd(), { "understudy:services": services({ mode: "sync" }) });
  await settle();
  t.truthy(registered.find((r) => r.type === "understudy:index:ReplicationStream"));
  for (const h of ["host-1", "host-3", "host-4"]) {
    t.truthy(named(`orders-store-host-${h.slice(-1)}`), h);
    t.deepEqual(named(`orders-schema-${h}`)?.inputs.tables, ["orders"]);
  }
  t.is(named("orders-store-host-3-server")?.inputs.address, "127.0.1.3");
  t.deepEqual(named("orders-publication-host-1")?.inputs.tables, ["orders"]);
  t.like(named("orders-subscription-host-4")?.inputs, { subscription: "understudy_orders_host_4", publication: "understudy_orders", mode: "sync" });
  t.deepEqual(named("orders-sync-standbys-host-1")?.inputs.subscriptions, ["understudy_orders_host_3", "understudy_orders_host_4"]);
  t.is(named("orders-replication-exporter")?.inputs.port, 19187);
  const targets = JSON.parse(named("orders-replication-targets")?.inputs.content as string) as { targets: string[] }[];
  t.deepEqual(targets[0].targets, ["127.0.0.1:19187"]);
});

test.serial("after a promotion (store on a shadow host) that host is the primary and the other shadow its only replica", async (t) => {
  registered.length = 0;
  understudyProgram(process.cwd(), { "understudy:services": services({ mode: "async" }, "host-3") });
  await settle();
  t.falsy(named("orders-subscription-host-3"));
  t.like(named("orders-subscription-host-4")?.inputs, { mode: "async" });
  t.truthy(named("orders-publication-host-3"));
  t.deepEqual(named("orders-sync-standbys-host-3")?.inputs.subscriptions, ["understudy_orders_host_4"]);
  t.falsy(named("orders-store-host-1"), "no store left on the old primary's host");
});

test.serial("a schema with a keyless table fails the program (so preview fails), naming the table", (t) => {
  registered.length = 0;
  const raw = {
    "understudy:services": JSON.stringify({
      orders: { command: "x", replicas: 2, store: { host: "host-1", schema: "CREATE TABLE orders (id int primary key); CREATE TABLE audit (line text);" }, shadows: { count: 1 } },
    }),
  };
  t.throws(() => understudyProgram(process.cwd(), raw), { message: /table 'audit' has no primary key/ });
});
