// The components under Pulumi mocks: which resources the local platform declares, where, and how.
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
      const inputs = a.inputs as Record<string, unknown>;
      registered.push({ type: a.type, name: a.name, inputs });
      return { id: `${a.name}-id`, state: { ...inputs, password: "pw", postgresBinary: "/usr/lib/postgresql/15/bin/postgres" } };
    },
    call: () => ({}),
  },
  "understudy",
  "unit",
  false,
);

// Imported after setMocks so that the program registers against the mock monitor.
const { understudyProgram } = require("../../../components/program") as typeof import("../../../components/program");

const raw = {
  "understudy:services": JSON.stringify({
    orders: { command: "node dist/demo/service/main.js", port: 18100, replicas: 2, store: { host: "host-1", schema: "demo/schema/orders.sql" }, shadows: { count: 2 } },
  }),
};

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
}

test.serial("one component per concern, each with its type token", async (t) => {
  understudyProgram(process.cwd(), raw);
  await settle();
  const types = new Set(registered.map((r) => r.type));
  for (const tk of ["understudy:index:MirroredService", "understudy:index:LiveService", "understudy:index:ShadowPool", "understudy:index:LoadBalancer"]) {
    t.true(types.has(tk), tk);
  }
});

test.serial("live and shadow instances: roles, hosts and addresses", async (t) => {
  const procs = registered.filter((r) => r.name.startsWith("orders-live-") || r.name.startsWith("orders-shadow-")).filter((r) => !r.name.endsWith("targets"));
  const byName = Object.fromEntries(procs.map((p) => [p.name, p.inputs.env as Record<string, string>]));
  t.deepEqual(Object.keys(byName).sort(), ["orders-live-host-1", "orders-live-host-2", "orders-shadow-host-3", "orders-shadow-host-4"]);
  t.is(byName["orders-shadow-host-3"].UNDERSTUDY_ROLE, "shadow");
  t.is(byName["orders-live-host-1"].UNDERSTUDY_ROLE, "live");
  t.is(byName["orders-shadow-host-4"].HOST, "127.0.1.4");
  // No live instance shares a host with a shadow of the same service.
  const hostsOf = (role: string): string[] => procs.filter((p) => p.name.includes(`-${role}-`)).map((p) => (p.inputs.env as Record<string, string>).UNDERSTUDY_HOST);
  t.deepEqual(hostsOf("live").filter((h) => hostsOf("shadow").includes(h)), []);
});

test.serial("Prometheus discovers every instance with service/role/host/instance labels", async (t) => {
  const targets = registered.filter((r) => r.name === "orders-shadow-targets")[0];
  const parsed = JSON.parse(targets.inputs.content as string) as { targets: string[]; labels: Record<string, string> }[];
  t.deepEqual(parsed.map((p) => p.labels), [
    { service: "orders", role: "shadow", host: "host-3", instance: "orders-shadow-host-3" },
    { service: "orders", role: "shadow", host: "host-4", instance: "orders-shadow-host-4" },
  ]);
  t.deepEqual(parsed[0].targets, ["127.0.1.3:18100"]);
});

test.serial("the store's server runs as the postgres user on its host's address", async (t) => {
  const server = registered.find((r) => r.name === "orders-store-host-1-server");
  t.truthy(server);
  t.is(server?.inputs.user, "postgres");
  t.is(server?.inputs.address, "127.0.1.1");
});

test.serial("a bad config registers nothing", async (t) => {
  const before = registered.length;
  t.throws(() => understudyProgram(process.cwd(), { "understudy:services": JSON.stringify({ orders: { port: 1 } }) }), { message: /understudy:services.orders.command: is required/ });
  await settle();
  t.is(registered.length, before);
});
