import test from "ava";
import { CanaryState, Decision } from "../../../automation/decide";
import { Case, T0, kinds, live, run, shadow } from "./fixtures";

const canary = (over: Partial<CanaryState>): Partial<import("../../../automation/decide").ServiceState> => ({
  mirrorPercent: 100,
  canary: { status: "running", step: -1, stepStartedAt: null, reason: "requested", ...over },
});
const serving = (over = {}) => shadow("h3", { requestRate: 5, cpu: 0.05, p99Ms: 22, errorRate: 0, ...over });
const two = [live("h1"), live("h2")];

const cases: [string, Case, (t: import("ava").ExecutionContext, d: Decision) => void][] = [
  [
    "a requested rollout moves the first step once the shadows are healthy and in sync",
    { state: canary({}), instances: [...two, shadow("h3")] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 0, to: 5, priority: "rollout" });
      t.like(d.state.services.orders.canary, { status: "running", step: 0, stepStartedAt: T0 });
    },
  ],
  [
    "a step advances after a full interval of passing analysis",
    { state: { ...canary({ step: 0, stepStartedAt: T0 - 61_000 }), weightPercent: 5 }, instances: [...two, serving()] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 5, to: 10 });
      t.regex(d.changes[0].reason, /error rate \+0 % \(max \+1 %\), p99 ×1.1 \(max ×1.5\): shift 10 %/);
    },
  ],
  [
    "a step holds until its interval is over",
    { state: { ...canary({ step: 0, stepStartedAt: T0 - 30_000 }), weightPercent: 5 }, instances: [...two, serving()] },
    (t, d) => t.deepEqual(kinds(d), []),
  ],
  [
    "errors above live roll back to 0 % and say why",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 10_000 }), weightPercent: 10 }, instances: [...two, serving({ errorRate: 0.05 })] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 10, to: 0 });
      t.like(d.state.services.orders.canary, { status: "rolledBack" });
      t.regex(d.state.services.orders.canary.reason ?? "", /analysis failed at 10 %: error rate \+5 %/);
    },
  ],
  [
    "slow shadows roll back",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 10_000 }), weightPercent: 10 }, instances: [...two, serving({ p99Ms: 50 })] },
    (t, d) => t.regex(d.changes[0].reason, /p99 ×2.5 \(max ×1.5\); roll back to 0 %/),
  ],
  [
    "a shadow down before any traffic moved: rolled back without a change",
    { state: canary({}), instances: [...two, shadow("h3", { up: false })] },
    (t, d) => {
      t.false(kinds(d).includes("setWeights"));
      t.like(d.state.services.orders.canary, { status: "rolledBack" });
    },
  ],
  [
    "missing shadow metrics pause the rollout",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 100_000 }), weightPercent: 10 }, instances: [...two, serving({ at: T0 - 60_000 })] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.like(d.state.services.orders.canary, { status: "paused", reason: "no fresh metrics from orders-shadow-h3" });
    },
  ],
  [
    "replication lag above the bound pauses the rollout",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 100_000 }), weightPercent: 10 }, instances: [...two, serving({ replicationLagSec: 8 })] },
    (t, d) => t.like(d.state.services.orders.canary, { status: "paused", reason: "replication lag unknown or above 5 s on orders-shadow-h3" }),
  ],
  [
    "a paused rollout resumes with a fresh interval",
    { state: { ...canary({ status: "paused", step: 1, stepStartedAt: T0 - 100_000 }), weightPercent: 10 }, instances: [...two, serving()] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.like(d.state.services.orders.canary, { status: "running", stepStartedAt: T0 });
    },
  ],
  [
    "at 100 % after an interval the roles swap",
    { state: { ...canary({ step: 4, stepStartedAt: T0 - 61_000 }), weightPercent: 100 }, instances: [...two, serving()] },
    (t, d) => {
      t.like(d.changes[0], { kind: "completeRollout", priority: "rollout" });
      t.like(d.state.services.orders, { replicas: 1, shadows: 2, weightPercent: 0 });
      t.is(d.state.services.orders.canary.status, "done");
    },
  ],
  ["an idle canary does nothing", { state: { mirrorPercent: 0 }, instances: [...two, serving()] }, (t, d) => t.deepEqual(kinds(d), [])],
];

for (const [name, c, check] of cases) test(`rollout: ${name}`, (t) => check(t, run(c)));
