import test from "ava";
import { advance, Analysis, CanaryPolicy, DEFAULT_CANARY, judge, start, validatePolicy } from "../../../automation/canary/rollout";

const p: CanaryPolicy = { steps: [5, 10, 25, 50, 100], intervalSec: 30, maxErrorRateDelta: 0.01, maxP99Ratio: 1.5, minRequests: 20, p99FloorMs: 50 };
const healthy: Analysis = { live: { requests: 1000, errorRate: 0.001, p99Ms: 20 }, shadow: { requests: 100, errorRate: 0.0, p99Ms: 22 } };
const s30 = 30_000;

test("a healthy shadow walks every step, one per interval, and is promoted", (t) => {
  let s = start(0, p);
  const weights = [s.weight];
  for (let now = s30; s.status === "running"; now += s30) {
    s = advance(s, healthy, now, p);
    weights.push(s.weight);
  }
  t.deepEqual(weights, [5, 10, 25, 50, 100, 100]);
  t.is(s.status, "promoted");
});

test("a step is held until its interval has passed", (t) => {
  const s = advance(start(0, p), healthy, s30 - 1, p);
  t.is(s.weight, 5);
  t.is(s.status, "running");
});

const failures: [string, Analysis, RegExp][] = [
  ["20 % errors", { ...healthy, shadow: { requests: 100, errorRate: 0.2, p99Ms: 20 } }, /shadow error rate 20\.0 % vs live 0\.1 %/],
  ["slow shadow", { ...healthy, shadow: { requests: 100, errorRate: 0, p99Ms: 100 } }, /shadow p99 100 ms is 5\.00× live's 20 ms/],
];
for (const [name, a, reason] of failures) {
  test(`a failed analysis rolls back to 0 at once and says why: ${name}`, (t) => {
    const s = advance({ ...start(0, p), step: 2, weight: 25 }, a, 1000, p);
    t.is(s.status, "rolledBack");
    t.is(s.weight, 0);
    t.regex(s.reason, reason);
    t.deepEqual(advance(s, healthy, 10 * s30, p), s, "a rolled-back canary stays rolled back");
  });
}

const gaps: [string, Analysis, RegExp][] = [
  ["no shadow metrics", { live: healthy.live }, /no shadow metrics/],
  ["no live metrics", { shadow: healthy.shadow }, /no live metrics/],
  ["too few requests", { ...healthy, shadow: { requests: 3, errorRate: 0, p99Ms: 20 } }, /only 3 shadow requests/],
];
for (const [name, a, reason] of gaps) {
  test(`missing evidence pauses: never promotes, never rolls back: ${name}`, (t) => {
    const s = advance({ ...start(0, p), step: 1, weight: 10 }, a, 5 * s30, p);
    t.is(s.status, "paused");
    t.is(s.weight, 10);
    t.regex(s.reason, reason);
    t.is(advance(s, healthy, 6 * s30, p).weight, 25, "resumes when data is back");
  });
}

test("judge passes within bounds and says against what", (t) => {
  t.deepEqual(judge(healthy, p), { verdict: "pass", reason: "shadow error rate 0.0 % vs live 0.1 %, p99 22 ms vs 20 ms over 100 shadow requests: within bounds" });
});

test("the default policy is valid and gives every step a full minute", (t) => {
  t.is(validatePolicy({ ...DEFAULT_CANARY }).intervalSec, 60);
  t.deepEqual(DEFAULT_CANARY.steps, [5, 10, 25, 50, 100]);
});

test("bad policies are refused with the reason", (t) => {
  t.throws(() => validatePolicy({ ...p, steps: [10, 5] }), { message: /steps must increase/ });
  t.throws(() => validatePolicy({ ...p, steps: [0] }), { message: /integer percent 1-100/ });
  t.throws(() => validatePolicy({ ...p, maxP99Ratio: 0.5 }), { message: /maxP99Ratio/ });
});

test("a p99 under the floor is never a regression, whatever the ratio", (t) => {
  const fast: Analysis = { live: { requests: 1000, errorRate: 0, p99Ms: 5 }, shadow: { requests: 100, errorRate: 0, p99Ms: 21 } };
  t.is(judge(fast, p).verdict, "pass");
});

test("with all traffic on the shadows, the live side's last window is the yardstick", (t) => {
  let s = advance({ ...start(0, p), step: 3, weight: 50 }, healthy, s30, p);
  t.is(s.weight, 100);
  s = advance(s, { shadow: healthy.shadow }, 2 * s30, p);
  t.is(s.status, "promoted");
  const bad = advance({ ...start(0, p), baseline: healthy.live, step: 4, weight: 100 }, { shadow: { requests: 100, errorRate: 0.3, p99Ms: 20 } }, s30, p);
  t.is(bad.status, "rolledBack");
});

test("a live p99 of 0 (nothing measured above the first bucket) is floored: no Infinity in the reason", (t) => {
  const v = judge({ live: { requests: 100, errorRate: 0, p99Ms: 0 }, shadow: { requests: 100, errorRate: 0, p99Ms: 200 } }, DEFAULT_CANARY);
  t.is(v.verdict, "fail");
  t.notRegex(v.reason, /Infinity|NaN/);
  t.is(judge({ live: { requests: 100, errorRate: 0, p99Ms: 0 }, shadow: { requests: 100, errorRate: 0, p99Ms: 40 } }, DEFAULT_CANARY).verdict, "pass");
});
