import test from "ava";
import { Decision } from "../../../automation/decide";
import { Case, T0, kinds, live, run } from "./fixtures";

const quiet = ["h1", "h2", "h3", "h4"].map((h) => live(h, { requestRate: 20, cpu: 0.2 }));
const low = { replicas: 4, shadows: 0, lowSince: T0 - 1_000_000, lastScaleUpAt: T0 - 1_000_000 };

const cases: [string, Case, (t: import("ava").ExecutionContext, d: Decision) => void][] = [
  [
    "a window of low utilisation, expected load that fits on fewer: demote the surplus; they stay warm shadows for a window",
    { state: low, instances: quiet },
    (t, d) => {
      // The pool's own window is over and the cost model wants no shadow, yet the demoted instances stay:
      // a demotion starts the pool's stabilisation window, so the plan does not demote and remove at once.
      t.deepEqual(kinds(d), ["demote", "demote"]);
      t.deepEqual(d.changes.map((c) => (c.kind === "demote" ? c.host : "")), ["h4", "h3"]);
      t.like(d.changes[0], { rule: "consolidation", priority: "scale-down" });
      t.regex(
        d.changes[0].reason,
        /mean live CPU below 30 % for 900 s, expected 80 req\/s fits on 2 live at 60 % CPU \(60 req\/s each\), q0.9 85.1 req\/s on them plus 0 shadows, no peak predicted: take orders-live-h4 out of rotation; it stays a warm shadow for at least 300 s/,
      );
      t.like(d.state.services.orders, { replicas: 2, shadows: 2, lowSince: T0, lastScaleDownAt: T0, lastScaleUpAt: T0 });
    },
  ],
  [
    "after that window the pool removes the demoted instances the cost model does not want",
    { state: { replicas: 2, shadows: 2, lastScaleUpAt: T0 - 300_000, lastScaleDownAt: T0 - 300_000 }, instances: quiet.slice(0, 2) },
    (t, d) => t.like(d.changes.find((c) => c.kind === "setShadows"), { from: 2, to: 0, priority: "scale-down" }),
  ],
  ["not before the window is over", { state: { ...low, lowSince: T0 - 100_000 }, instances: quiet }, (t, d) => t.deepEqual(kinds(d), [])],
  [
    "never with a predicted peak inside the horizon",
    { state: low, instances: quiet, forecast: { current: 80, median: 120 } },
    (t, d) => {
      t.false(kinds(d).includes("demote"));
      t.true(d.reasons.some((r) => /but a peak of 120 req\/s is predicted in 300 s: keep 4 live/.test(r)));
    },
  ],
  [
    "not when the upper bound does not fit on fewer live plus the shadows",
    { state: low, instances: quiet, forecast: { current: 80, spread: 2 } },
    (t, d) => {
      t.false(kinds(d).includes("demote"));
      t.true(d.reasons.some((r) => /but q0.9 285 req\/s does not fit on 2 live \+ 0 shadows at 95 % CPU: keep 4 live/.test(r)));
    },
  ],
  [
    "stale metrics hold: no demotion, and the low-utilisation clock restarts",
    { state: low, instances: [...quiet.slice(0, 3), live("h4", { at: T0 - 40_000 })] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.is(d.state.services.orders.lowSince, null);
      t.true(d.reasons.some((r) => /orders: hold: stale or missing metrics from orders-live-h4 \(last seen 40 s ago\): no scale-down/.test(r)));
    },
  ],
  [
    "missing metrics hold too",
    { state: low, instances: [...quiet.slice(0, 3), live("h4", { cpu: undefined })] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.true(d.reasons.some((r) => /orders-live-h4 \(missing metrics\)/.test(r)));
    },
  ],
  [
    "without a forecast nothing is removed",
    { state: low, instances: quiet, forecast: null },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.true(d.reasons.some((r) => /mean live CPU below 30 % for 1000 s, but no forecast: no consolidation/.test(r)));
    },
  ],
  ["the low-utilisation clock starts when CPU drops below the floor", { state: { replicas: 4, shadows: 0 }, instances: quiet }, (t, d) => t.is(d.state.services.orders.lowSince, T0)],
  [
    "and stops when it rises above",
    { state: { replicas: 2, shadows: 0, lowSince: T0 - 100_000 }, instances: [live("h1"), live("h2")] },
    (t, d) => t.is(d.state.services.orders.lowSince, null),
  ],
  [
    "a drained host healthy for a stabilisation window is restored",
    { state: { drained: [{ host: "h5", instance: "orders-live-h5", at: T0 - 600_000, reason: "down", healthySince: T0 - 400_000 }] }, instances: [live("h1"), live("h2"), live("h5", { role: "drained" })] },
    (t, d) => {
      t.like(d.changes[0], { kind: "restore", host: "h5" });
      t.deepEqual(d.state.services.orders.drained, []);
    },
  ],
  [
    "a drained host that is not seen again is restored after the quarantine",
    { state: { drained: [{ host: "h5", instance: "orders-live-h5", at: T0 - 1_900_000, reason: "down", healthySince: null }] }, instances: [live("h1"), live("h2")] },
    (t, d) => t.regex(d.changes[0].reason, /h5 has been avoided for 1800 s/),
  ],
  [
    "a drained host healthy only briefly stays avoided",
    { state: { drained: [{ host: "h5", instance: "orders-live-h5", at: T0 - 600_000, reason: "down", healthySince: null }] }, instances: [live("h1"), live("h2"), live("h5", { role: "drained" })] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.is(d.state.services.orders.drained[0].healthySince, T0);
    },
  ],
];

for (const [name, c, check] of cases) test(`consolidation: ${name}`, (t) => check(t, run(c)));
