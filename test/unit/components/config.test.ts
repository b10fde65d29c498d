import test from "ava";
import { ConfigError, parseStackConfig, placeService } from "../../../components/config";

const service = { command: "node dist/demo/service/main.js", port: 18100, replicas: 2, shadows: { count: 1 } };
const base = { "understudy:services": JSON.stringify({ orders: service }) };

test("defaults fill every key the program reads", (t) => {
  const spec = parseStackConfig(base);
  t.is(spec.platform, "local");
  t.deepEqual(spec.hosts, ["host-1", "host-2", "host-3", "host-4"]);
  t.is(spec.services[0].frontendPort, 18080);
  t.is(spec.services[0].replication.mode, "sync");
  t.is(spec.prometheus.scrapeIntervalSeconds, 2);
});

test("placement: shadows never share a host with a live instance of the same service", (t) => {
  const spec = parseStackConfig(base);
  t.deepEqual(placeService(spec.services[0], spec.hosts), { live: ["host-1", "host-2"], shadows: ["host-3"], shadowSlots: ["host-3", "host-4"] });
});

test("placement: shadow slots are every host a shadow may use, listed hosts first-come", (t) => {
  const svc = parseStackConfig(base).services[0];
  const hosts = ["host-1", "host-2", "host-3", "host-4"];
  t.deepEqual(placeService({ ...svc, shadows: { ...svc.shadows, count: 0 } }, hosts).shadowSlots, ["host-3", "host-4"]);
  const listed = placeService({ ...svc, shadows: { ...svc.shadows, count: 1, hosts: ["host-4", "host-3"] } }, hosts);
  t.deepEqual([listed.shadows, listed.shadowSlots], [["host-4"], ["host-4", "host-3"]]);
});

const bad: [string, Record<string, unknown>, string, RegExp][] = [
  ["unknown platform", { ...base, "understudy:platform": "mainframe" }, "understudy:platform", /one of local, kubernetes, aws, docker/],
  ["replicas < 1", { "understudy:services": { orders: { ...service, replicas: 0 } } }, "understudy:services.orders.replicas", /between 1 and 64/],
  ["missing command", { "understudy:services": { orders: { port: 18100 } } }, "understudy:services.orders.command", /required/],
  ["unknown top-level key", { ...base, "understudy:replicaz": "3" }, "understudy:replicaz", /unknown key/],
  ["unknown service key", { "understudy:services": { orders: { ...service, replica: 2 } } }, "understudy:services.orders.replica", /unknown key/],
  [
    "two things on one port",
    { ...base, "understudy:prometheus": { port: 18080 } },
    "understudy:services.orders.frontendPort",
    /the load balancer of 'orders' and prometheus both listen on 127.0.0.1:18080/,
  ],
  [
    "shadow on a live host",
    { "understudy:services": { orders: { ...service, hosts: ["host-1", "host-2"], shadows: { count: 1, hosts: ["host-2"] } } } },
    "understudy:services.orders.shadows.hosts",
    /share a host with a live instance/,
  ],
  [
    "not enough hosts for shadows",
    { "understudy:hosts": ["a", "b"], "understudy:services": { orders: { ...service, shadows: { count: 1 } } } },
    "understudy:services.orders.shadows.count",
    /only 0 exist/,
  ],
  ["weight out of range", { "understudy:services": { orders: { ...service, shadows: { count: 1, weightPercent: 120 } } } }, "understudy:services.orders.shadows.weightPercent", /between 0 and 100/],
  ["bad replication mode", { "understudy:services": { orders: { ...service, replication: { mode: "eventually" } } } }, "understudy:services.orders.replication.mode", /sync, async/],
  ["malformed JSON", { "understudy:services": "{orders:" }, "understudy:services", /not valid JSON/],
];

for (const [name, raw, key, rule] of bad) {
  test(`invalid config is refused with the key and the rule: ${name}`, (t) => {
    const err = t.throws(() => parseStackConfig(raw), { instanceOf: ConfigError });
    t.is(err?.key, key);
    t.regex(err?.message ?? "", rule);
  });
}

test("other namespaces belong to providers and are left alone", (t) => {
  t.notThrows(() => parseStackConfig({ ...base, "aws:region": "eu-west-1" }));
});
