import test from "ava";
import { Decision, PromoteChange } from "../../../automation/decide";
import { Case, T0, kinds, live, run, shadow } from "./fixtures";

const cases: [string, Case, (t: import("ava").ExecutionContext, d: Decision) => void][] = [
  [
    "a down live instance is replaced at once by the shadow with the least lag",
    { state: { shadows: 2 }, instances: [live("h1", { up: false }), live("h2"), shadow("h3", { replicationLagSec: 2 }), shadow("h4", { replicationLagSec: 0.1 })] },
    (t, d) => {
      t.deepEqual(kinds(d).slice(0, 2), ["promote", "drain"]);
      const p = d.changes[0] as PromoteChange;
      t.like(p, { instance: "orders-shadow-h4", replaces: "orders-live-h1", priority: "safety" });
      t.like(d.changes[1], { host: "h1", rule: "switchover" });
      t.is(d.state.services.orders.replicas, 2);
      t.deepEqual(d.state.services.orders.drained.map((x) => x.host), ["h1"]);
      t.true(d.reasons.some((r) => /orders-live-h1 is down: promote orders-shadow-h4 \(replication lag 0.1 s\)/.test(r)));
    },
  ],
  [
    "a lagging shadow is not promoted: a cold live instance replaces the failed one",
    { instances: [live("h1", { up: false }), live("h2"), shadow("h3", { replicationLagSec: 9 })] },
    (t, d) => {
      t.deepEqual(kinds(d).slice(0, 2), ["drain", "setReplicas"]);
      t.like(d.changes[1], { from: 1, to: 2, avoid: ["h1"] });
      t.regex(d.changes[1].reason, /lags 9 s > 5 s/);
    },
  ],
  [
    "a shadow that is down is not promoted",
    { instances: [live("h1", { up: false }), live("h2"), shadow("h3", { up: false })] },
    (t, d) => {
      t.false(kinds(d).includes("promote"));
      t.regex(d.changes[1].reason, /orders-shadow-h3 is down/);
    },
  ],
  [
    "a live instance over the CPU threshold gets a shadow promoted beside it",
    { instances: [live("h1", { cpu: 0.97, requestRate: 97 }), live("h2", { cpu: 0.5 }), shadow("h3")] },
    (t, d) => {
      t.like(d.changes[0], { kind: "promote", replaces: null, priority: "safety", rule: "switchover" });
      t.regex(d.changes[0].reason, /orders-live-h1 at 97 % CPU above the 95 % threshold/);
    },
  ],
  [
    "over the threshold with no shadow: a cold live instance",
    { state: { shadows: 0 }, instances: [live("h1", { cpu: 0.99 }), live("h2")] },
    (t, d) => t.like(d.changes[0], { kind: "setReplicas", from: 2, to: 3, priority: "safety" }),
  ],
  [
    "over the threshold while another live instance is stale: hold, no promotion",
    { instances: [live("h1", { cpu: 0.97 }), live("h2", { at: T0 - 60_000 }), shadow("h3")] },
    (t, d) => {
      t.false(kinds(d).includes("promote"));
      t.true(d.reasons.some((r) => /holding: stale or missing metrics from orders-live-h2 \(last seen 60 s ago\); no promotion/.test(r)));
    },
  ],
  [
    "stale evidence of a failure moves nothing",
    { instances: [live("h1", { up: false, at: T0 - 120_000 }), live("h2"), shadow("h3")] },
    (t, d) => {
      t.deepEqual(d.changes.filter((c) => c.priority === "safety"), []);
      t.true(d.reasons.some((r) => /hold: stale or missing metrics from orders-live-h1/.test(r)));
    },
  ],
  [
    "an instance drained earlier but still listed as live is not drained twice",
    { state: { drained: [{ host: "h1", instance: "orders-live-h1", at: T0 - 10_000, reason: "down", healthySince: null }] }, instances: [live("h1", { up: false }), live("h2"), shadow("h3")] },
    (t, d) => t.false(kinds(d).includes("drain")),
  ],
];

for (const [name, c, check] of cases) test(`switchover: ${name}`, (t) => check(t, run(c)));
