import test from "ava";
import { Decision } from "../../../automation/decide";
import { Case, T0, kinds, live, run, shadow } from "./fixtures";

const two = [live("h1"), live("h2")];

const cases: [string, Case, (t: import("ava").ExecutionContext, d: Decision) => void][] = [
  [
    "mirroring trigger: P(rise) ≥ confidence → at least one shadow and mirroring on",
    { state: { shadows: 0 }, instances: two, forecast: { current: 100, pRise: 0.85 } },
    (t, d) => {
      t.deepEqual(kinds(d), ["setShadows", "setMirror"]);
      t.like(d.changes[0], { from: 0, to: 1, priority: "scale-up" });
      t.like(d.changes[1], { from: 0, to: 100, rule: "mirroring" });
      t.regex(d.changes[1].reason, /P\(rise ≥ 20 % within 300 s\) = 0.85 ≥ 0.8: mirror 100 %/);
      t.is(d.state.services.orders.lastTriggerAt, T0);
    },
  ],
  [
    "below the confidence nothing is triggered",
    { state: { shadows: 0 }, instances: two, forecast: { current: 100, pRise: 0.79 } },
    (t, d) => t.deepEqual(kinds(d), []),
  ],
  [
    "live instances follow the load: a warm shadow is promoted, not a cold start",
    { instances: [live("h1", { requestRate: 75, cpu: 0.75 }), live("h2", { requestRate: 75, cpu: 0.75 }), shadow("h3")] },
    (t, d) => {
      t.like(d.changes[0], { kind: "promote", rule: "scaling", priority: "scale-up", host: "h3" });
      t.regex(d.changes[0].reason, /load 150 req\/s needs 3 live instances at 60 % CPU \(60 req\/s each\), 2 live/);
    },
  ],
  [
    "no shadow left: the rest comes cold",
    { state: { shadows: 0 }, instances: [live("h1", { requestRate: 90, cpu: 0.9 }), live("h2", { requestRate: 90, cpu: 0.9 })] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setReplicas", from: 2, to: 3 });
      t.regex(d.changes[0].reason, /no warm shadow left: add 1 \(cold start\)/);
    },
  ],
  [
    "the cost model grows the shadow pool ahead of a forecast rise",
    { state: { shadows: 0 }, instances: two, forecast: { current: 100, median: 230, spread: 0.1, pRise: 0.5 } },
    (t, d) => {
      const est = d.costEstimate.orders;
      t.truthy(est);
      t.like(d.changes[0], { kind: "setShadows", from: 0, to: est?.chosen.shadows });
      t.true((est?.chosen.shadows ?? 0) >= 1);
      t.regex(d.changes[0].reason, /shadows for 2 live: expected \$[\d.]+ instances \+ \$[\d.]+ shortfall/);
    },
  ],
  [
    "shadows stay during the stabilisation window",
    { state: { shadows: 3, lastScaleUpAt: T0 - 100_000 }, instances: [...two, shadow("h3"), shadow("h4"), shadow("h5")] },
    (t, d) => t.false(kinds(d).includes("setShadows")),
  ],
  [
    "shadows stay while a higher recommendation is inside the window",
    { state: { shadows: 3, lastScaleUpAt: T0 - 400_000, recommendations: [{ t: T0 - 200_000, shadows: 3 }] }, instances: [...two, shadow("h3"), shadow("h4"), shadow("h5")] },
    (t, d) => t.false(kinds(d).includes("setShadows")),
  ],
  [
    "after the window the pool shrinks to the cost model's count",
    { state: { shadows: 3, lastScaleUpAt: T0 - 400_000, recommendations: [{ t: T0 - 400_000, shadows: 3 }] }, instances: [...two, shadow("h3"), shadow("h4"), shadow("h5")] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setShadows", from: 3, to: 0, priority: "scale-down" });
      t.regex(d.changes[0].reason, /no recommendation above 0 for 300 s and q0.9 106 req\/s fits on 2 live \+ 0 shadows at 95 % CPU/);
    },
  ],
  [
    "the pool never shrinks below what the upper quantile needs",
    {
      state: { shadows: 3, lastScaleUpAt: T0 - 400_000 },
      instances: [...two, shadow("h3"), shadow("h4"), shadow("h5")],
      forecast: { current: 100, median: 200, spread: 0.1 },
      policy: { cost: { degradedCostPerMinute: 0, downtimeCostPerMinute: 0 } },
    },
    (t, d) => t.like(d.changes.find((c) => c.kind === "setShadows"), { from: 3, to: 1 }),
  ],
  [
    "mirroring stays on for a stabilisation window after the trigger",
    { state: { mirrorPercent: 100, lastTriggerAt: T0 - 100_000 }, instances: [...two, shadow("h3")] },
    (t, d) => t.false(kinds(d).includes("setMirror")),
  ],
  [
    "mirroring goes back to idle after the window",
    { state: { mirrorPercent: 100, lastTriggerAt: T0 - 400_000 }, instances: [...two, shadow("h3")] },
    (t, d) => t.like(d.changes.find((c) => c.kind === "setMirror"), { from: 100, to: 0, priority: "scale-down" }),
  ],
  [
    "no forecast: no forecast-driven change, no scale-down, said so",
    { state: { shadows: 3, lastScaleUpAt: T0 - 400_000 }, instances: [...two, shadow("h3"), shadow("h4"), shadow("h5")], forecast: null },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.is(d.costEstimate.orders, null);
      t.true(d.reasons.some((r) => /orders: hold: no forecast: no forecast-driven change, no scale-down/.test(r)));
    },
  ],
  [
    "a stale forecast is no forecast",
    { state: { shadows: 0 }, instances: two, forecast: { current: 100, pRise: 0.95, at: T0 - 60_000 } },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.true(d.reasons.some((r) => /forecast is 60 s old \(stale after 30 s\)/.test(r)));
    },
  ],
];

for (const [name, c, check] of cases) test(`scaling: ${name}`, (t) => check(t, run(c)));
