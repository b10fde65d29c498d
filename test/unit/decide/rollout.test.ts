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
      t.regex(d.changes[0].reason, /^shadow error rate 0\.0 % vs live 0\.0 %, p99 22 ms vs 20 ms over 150 shadow requests: within bounds: shift 10 %/);
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
      t.regex(d.state.services.orders.canary.reason ?? "", /analysis failed at 10 %: shadow error rate 5\.0 % vs live 0\.0 % \(allowed \+1\.0 points\); roll back to 0 %/);
    },
  ],
  [
    "slow shadows roll back",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 10_000 }), weightPercent: 10 }, instances: [...two, serving({ p99Ms: 80 })] },
    (t, d) => t.regex(d.changes[0].reason, /shadow p99 80 ms is 4\.00× live's 20 ms \(allowed 1\.5×\); roll back to 0 %/),
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
  [
    // 0.5 req/s over the 30 s rate window is 15 requests, under minRequests (20): one error in two is no evidence yet.
    "shadows that served fewer than minRequests pause the rollout instead of rolling it back",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 100_000 }), weightPercent: 10 }, instances: [...two, serving({ requestRate: 0.5, errorRate: 0.5 })] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.like(d.state.services.orders, { weightPercent: 10, canary: { status: "paused", step: 1, reason: "only 15 shadow requests in the window (need 20)" } });
    },
  ],
  [
    "the same errors over enough requests roll back",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 100_000 }), weightPercent: 10 }, instances: [...two, serving({ requestRate: 1, errorRate: 0.5 })] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 10, to: 0 });
      t.like(d.state.services.orders.canary, { status: "rolledBack" });
    },
  ],
  [
    "a p99 ratio of tiny latencies under the floor is no regression: the rollout advances",
    { state: { ...canary({ step: 1, stepStartedAt: T0 - 61_000 }), weightPercent: 10 }, instances: [live("h1", { p99Ms: 2 }), live("h2", { p99Ms: 2 }), serving({ p99Ms: 10 })] },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 10, to: 25 });
      t.like(d.state.services.orders.canary, { status: "running", step: 2 });
    },
  ],
  [
    "the same latencies with the floor lowered in the policy roll back",
    {
      state: { ...canary({ step: 1, stepStartedAt: T0 - 61_000 }), weightPercent: 10 },
      instances: [live("h1", { p99Ms: 2 }), live("h2", { p99Ms: 2 }), serving({ p99Ms: 10 })],
      policy: { canary: { p99FloorMs: 5 } },
    },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 10, to: 0 });
      t.regex(d.changes[0].reason, /shadow p99 10 ms is 5\.00× live's 2 ms/);
    },
  ],
  [
    // Per-instance means would say live 25 % and shadows 5 %; per request live is 1 % and the shadows 5 %.
    "a real error-rate regression rolls back: error rates weighted by requests, not averaged per instance",
    {
      state: { ...canary({ step: 2, stepStartedAt: T0 - 10_000 }), weightPercent: 25 },
      instances: [live("h1", { requestRate: 49, errorRate: 0 }), live("h2", { requestRate: 1, errorRate: 0.5 }), serving({ requestRate: 10, errorRate: 0.1 }), shadow("h4", { requestRate: 10, cpu: 0.1, p99Ms: 20, errorRate: 0 })],
    },
    (t, d) => {
      t.like(d.changes[0], { kind: "setWeights", from: 25, to: 0 });
      t.like(d.state.services.orders.canary, { status: "rolledBack" });
      t.regex(d.changes[0].reason, /analysis failed at 25 %: shadow error rate 5\.0 % vs live 1\.0 % \(allowed \+1\.0 points\)/);
    },
  ],
  [
    "the worst shadow's p99 is judged: one slow shadow rolls back although the other is fast",
    {
      state: { ...canary({ step: 2, stepStartedAt: T0 - 10_000 }), weightPercent: 25 },
      instances: [live("h1", { p99Ms: 40 }), live("h2", { p99Ms: 40 }), serving({ requestRate: 10, p99Ms: 20 }), shadow("h4", { requestRate: 1, cpu: 0.1, p99Ms: 100, errorRate: 0 })],
    },
    (t, d) => t.regex(d.changes[0].reason, /shadow p99 100 ms is 2\.50× live's 40 ms/),
  ],
  [
    // Reads all go to the shadows at 100 %: a read-only service's live instances see nothing to judge by.
    "at 100 % with live idle, live's last good window is the yardstick: the roles swap instead of stalling",
    {
      state: { ...canary({ step: 4, stepStartedAt: T0 - 61_000, baseline: { requests: 300, errorRate: 0, p99Ms: 20 } }), weightPercent: 100 },
      instances: [live("h1", { requestRate: 0 }), live("h2", { requestRate: 0 }), serving({ requestRate: 10 })],
    },
    (t, d) => t.like(d.changes[0], { kind: "completeRollout" }),
  ],
  [
    "at 100 % with live idle and no baseline: paused, not promoted",
    { state: { ...canary({ step: 4, stepStartedAt: T0 - 61_000 }), weightPercent: 100 }, instances: [live("h1", { requestRate: 0 }), live("h2", { requestRate: 0 }), serving({ requestRate: 10 })] },
    (t, d) => {
      t.deepEqual(kinds(d), []);
      t.like(d.state.services.orders.canary, { status: "paused" });
    },
  ],
  [
    "a live window with enough requests becomes the baseline",
    { state: { ...canary({ step: 0, stepStartedAt: T0 - 30_000 }), weightPercent: 5 }, instances: [...two, serving()] },
    (t, d) => t.like(d.state.services.orders.canary.baseline, { errorRate: 0, p99Ms: 20 }),
  ],
  ["an idle canary does nothing", { state: { mirrorPercent: 0 }, instances: [...two, serving()] }, (t, d) => t.deepEqual(kinds(d), [])],
];

for (const [name, c, check] of cases) test(`rollout: ${name}`, (t) => check(t, run(c)));
