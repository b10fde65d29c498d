import test from "ava";
import { decide } from "../../../automation/decide";
import { T0, forecastOf, kinds, live, observe, policyWith, run, shadow, stateWith } from "./fixtures";

test("per-tick limit: safety first, the rest deferred and said so", (t) => {
  const d = run({
    state: { replicas: 3, shadows: 2 },
    instances: [live("h1", { up: false }), live("h2", { up: false }), live("h3"), shadow("h4"), shadow("h5")],
    forecast: { current: 100, pRise: 0.9 },
    policy: { maxChangesPerTick: 3 },
  });
  // Each replacement is a promote + drain pair: the second pair does not fit in the one change left,
  // which goes to the next tier (mirroring on).
  t.deepEqual(kinds(d), ["promote", "drain", "setMirror"]);
  t.true(d.reasons.some((r) => /deferred by the per-tick limit of 3 changes \(safety\): promote/.test(r)));
  t.like(d.state.services.orders, { replicas: 3, shadows: 1, mirrorPercent: 100 });
});

test("per-tick limit: scale-up goes before scale-down", (t) => {
  const d = run({
    state: { shadows: 0, mirrorPercent: 50, lastTriggerAt: T0 - 1_000_000 },
    instances: [live("h1", { requestRate: 90, cpu: 0.9 }), live("h2", { requestRate: 90, cpu: 0.9 })],
    forecast: { current: 180, pRise: 0.1 },
    policy: { maxChangesPerTick: 1 },
  });
  t.deepEqual(kinds(d), ["setReplicas"]);
  t.is(d.state.services.orders.mirrorPercent, 50);
});

test("decide is pure: the input state is untouched and the new state survives JSON", (t) => {
  const policy = policyWith();
  const state = stateWith({ shadows: 0 });
  const before = JSON.stringify(state);
  const d = decide(state, observe([live("h1"), live("h2")]), { orders: forecastOf({ current: 100, pRise: 0.9 }, policy) }, policy);
  t.is(JSON.stringify(state), before);
  t.deepEqual(JSON.parse(JSON.stringify(d.state)), d.state);
  t.true(d.changes.length > 0);
});

test("per-instance capacity is learned from rate / CPU and smoothed", (t) => {
  const policy = policyWith();
  const first = decide(stateWith({ capacityPerInstance: null }), observe([live("h1", { requestRate: 80, cpu: 0.4 }), live("h2", { requestRate: 80, cpu: 0.4 })]), {}, policy);
  t.is(first.state.services.orders.capacityPerInstance, 200);
  const second = decide(first.state, observe([live("h1"), live("h2")], T0 + 15_000), {}, policy);
  t.is(second.state.services.orders.capacityPerInstance, 200 + 0.3 * (100 - 200));
});

test("without a learned capacity nothing is sized, and it says so", (t) => {
  const d = run({ state: { capacityPerInstance: null }, instances: [live("h1", { cpu: 0.01, requestRate: 1 }), live("h2", { cpu: 0.01, requestRate: 1 })], forecast: { current: 2, pRise: 0.1 } });
  t.deepEqual(kinds(d), []);
  t.true(d.reasons.some((r) => /per-instance capacity not learned yet/.test(r)));
});

test("every decision with a forecast records its cost estimate", (t) => {
  const d = run({ instances: [live("h1"), live("h2"), shadow("h3")] });
  const est = d.costEstimate.orders;
  t.truthy(est);
  t.is(est?.candidates.length, 7, "0 to 6 shadows: 8 hosts, 2 of them live");
  t.like(est, { horizonSec: 300, pricePerHour: 0.1, live: 2, capacityPerInstance: 100 });
});

test("an observed service that is not in the state is ignored with a reason", (t) => {
  const policy = policyWith();
  const d = decide(stateWith(), { now: T0, services: { orders: [live("h1"), live("h2")], billing: [live("h3")] } }, {}, policy);
  t.true(d.reasons.includes("billing: hold: observed but not in the desired state: ignored"));
});
