import test from "ava";
import { ConfigError, StackSpec, parseStackConfig } from "../../../components/config";
import { Change, applyChangesToConfig, decide, startRollout, stateFromConfig } from "../../../automation/decide";
import { T0, forecastOf, live, observe, policyWith, shadow } from "./fixtures";

const stack = (services: Record<string, unknown>): StackSpec =>
  parseStackConfig({ "understudy:hosts": ["h1", "h2", "h3", "h4", "h5"], "understudy:services": services });
const orders = { command: "node x.js", port: 18100, replicas: 2, shadows: { count: 1 } };
const base = { service: "orders", rule: "switchover", priority: "safety", reason: "test" } as const;

const reparse = (s: StackSpec, services: unknown): StackSpec => parseStackConfig({ "understudy:hosts": s.hosts, "understudy:services": services });

const cases: [string, Change[], (t: import("ava").ExecutionContext, svc: Record<string, unknown>, spec: StackSpec) => void][] = [
  [
    "promote + drain of a failed host: explicit hosts, the shadow's host turns live",
    [
      { ...base, kind: "promote", instance: "orders-shadow-h3", host: "h3", replaces: "orders-live-h1" },
      { ...base, kind: "drain", instance: "orders-live-h1", host: "h1" },
      { ...base, kind: "setShadows", from: 0, to: 1, avoid: ["h1"] },
    ],
    (t, svc, spec) => {
      t.like(svc, { replicas: 2, hosts: ["h2", "h3"], shadows: { count: 1, hosts: ["h4"] } });
      t.like(spec.services[0], { replicas: 2, hosts: ["h2", "h3"] });
    },
  ],
  [
    "a new live instance keeps the others where they are",
    [{ ...base, kind: "setReplicas", from: 2, to: 3, avoid: [] }],
    (t, svc) => t.like(svc, { replicas: 3, hosts: ["h1", "h2", "h4"], shadows: { count: 1, hosts: ["h3"] } }),
  ],
  [
    "a demoted live instance becomes a shadow on its host",
    [{ ...base, kind: "demote", instance: "orders-live-h2", host: "h2" }],
    (t, svc) => t.like(svc, { replicas: 1, hosts: ["h1"], shadows: { count: 2, hosts: ["h3", "h2"] } }),
  ],
  ["fewer shadows", [{ ...base, kind: "setShadows", from: 1, to: 0, avoid: [] }], (t, svc) => t.like(svc, { shadows: { count: 0, hosts: [] } })],
  [
    "mirror and weights",
    [
      { ...base, kind: "setMirror", from: 0, to: 100 },
      { ...base, kind: "setWeights", from: 0, to: 25 },
    ],
    (t, svc) => {
      t.like(svc, { shadows: { mirrorPercent: 100, weightPercent: 25 } });
      t.deepEqual(svc.hosts, [], "placement stays automatic");
    },
  ],
  [
    "a completed rollout swaps the roles",
    [{ ...base, kind: "completeRollout" }],
    (t, svc) => t.like(svc, { replicas: 1, hosts: ["h3"], shadows: { count: 2, hosts: ["h1", "h2"], weightPercent: 0 } }),
  ],
];

for (const [name, changes, check] of cases) {
  test(`applyChangesToConfig: ${name}`, (t) => {
    const s = stack({ orders, billing: { ...orders, port: 18200 } });
    const out = applyChangesToConfig(s, changes);
    const again = reparse(s, out);
    check(t, out.orders, again);
    t.deepEqual(again.services[1], s.services[1], "a service without changes is written back as it was");
  });
}

test("applyChangesToConfig: a change that does not fit the config is a ConfigError", (t) => {
  const s = stack({ orders });
  const e1 = t.throws(() => applyChangesToConfig(s, [{ ...base, kind: "promote", instance: "x", host: "h5", replaces: null }]), { instanceOf: ConfigError });
  t.regex(e1?.message ?? "", /host 'h5' is not in \[h3\]/);
  const e2 = t.throws(() => applyChangesToConfig(s, [{ ...base, kind: "setShadows", from: 1, to: 4, avoid: [] }]), { instanceOf: ConfigError });
  t.is(e2?.key, "understudy:services.orders.shadows.count");
});

test("stateFromConfig seeds the desired state and carries the memory over", (t) => {
  const s = stack({ orders: { ...orders, store: { host: "h1", schema: "create table orders (id text primary key);" }, shadows: { count: 1, mirrorPercent: 10 } } });
  const first = stateFromConfig(s, T0);
  t.like(first.services.orders, { replicas: 2, shadows: 1, mirrorPercent: 10, maxLagSec: 5, lastScaleUpAt: T0, capacityPerInstance: null });
  first.services.orders.capacityPerInstance = 123;
  const again = stateFromConfig(stack({ orders: { ...orders, replicas: 3 } }), T0 + 1, first);
  t.like(again.services.orders, { replicas: 3, capacityPerInstance: 123, maxLagSec: null });
});

test("startRollout requests a canary; unknown services are refused", (t) => {
  const s = stateFromConfig(stack({ orders }), T0);
  t.like(startRollout(s, "orders").services.orders.canary, { status: "running", step: -1 });
  t.is(s.services.orders.canary.status, "idle");
  t.throws(() => startRollout(s, "billing"), { message: /unknown service 'billing'/ });
});

test("end to end: a failure tick's changes become a valid config and the next state follows it", (t) => {
  const s = stack({ orders });
  const policy = policyWith();
  const state = stateFromConfig(s, T0 - 1_000_000);
  state.services.orders.capacityPerInstance = 100;
  const d = decide(state, observe([live("h1", { up: false }), live("h2"), shadow("h3")]), { orders: forecastOf({ current: 100, pRise: 0.9 }, policy) }, policy);
  const spec = reparse(s, applyChangesToConfig(s, d.changes));
  const next = stateFromConfig(spec, T0, d.state);
  t.like(spec.services[0], { replicas: d.state.services.orders.replicas, hosts: ["h2", "h3"] });
  t.is(spec.services[0].shadows.count, d.state.services.orders.shadows);
  t.false(spec.services[0].shadows.hosts.includes("h1"));
  t.deepEqual(next.services.orders.drained.map((x) => x.host), ["h1"]);
});
