// One coherent plan per tick: consolidation, the shadow pool's sizing and the mirroring trigger see
// each other's changes. The first case is the main job's tick that ended with one live instance and no
// understudy: consolidation demoted a live instance "to a warm shadow" while the pool's scale-down
// removed every shadow, the demoted one included.
import test from "ava";
import { Decision } from "../../../automation/decide";
import { Case, T0, kinds, live, run, shadow } from "./fixtures";

const quietPair = [live("h1", { requestRate: 25, cpu: 0.25 }), live("h2", { requestRate: 25, cpu: 0.25 })];
/** Low for longer than the consolidation window; the pool's stabilisation window long over. */
const settled = { replicas: 2, shadows: 1, lowSince: T0 - 1_000_000, lastScaleUpAt: T0 - 1_000_000 };

const setShadows = (d: Decision) => d.changes.filter((c) => c.kind === "setShadows");
const last = (d: Decision) => d.state.services.orders;

test("the main job's tick: a live instance is demoted and the pool keeps it and the shadow already warm", (t) => {
  const d = run({ state: settled, instances: [...quietPair, shadow("h3")] });
  t.deepEqual(kinds(d), ["demote"]);
  t.like(last(d), { replicas: 1, shadows: 2 });
  // Every change's reason describes what is applied: nothing says the pool goes to 0.
  for (const c of d.changes) t.notRegex(c.reason, /cheapest is 0|→ 0/);
  t.regex(d.changes[0].reason, /take orders-live-h2 out of rotation; it stays a warm shadow for at least 300 s/);
});

test("the ticks after it: the pool waits a stabilisation window from the demotion, then follows the cost model", (t) => {
  const first = run({ state: settled, instances: [...quietPair, shadow("h3")] });
  const after = { ...last(first) };
  const instances = [live("h1", { requestRate: 25, cpu: 0.25 }), shadow("h2"), shadow("h3")];
  const inWindow: Case = { state: after, instances: instances.map((o) => ({ ...o, at: T0 + 200_000 })), now: T0 + 200_000, forecast: { current: 25, at: T0 + 200_000 } };
  t.deepEqual(setShadows(run(inWindow)), []);
  const later = T0 + 301_000;
  const d = run({ state: after, instances: instances.map((o) => ({ ...o, at: later })), now: later, forecast: { current: 25, at: later } });
  t.like(setShadows(d)[0], { from: 2, to: 0 });
});

test("minShadows keeps one warm understudy through consolidation and the pool's scale-down", (t) => {
  const policy = { minShadows: 1 };
  const first = run({ state: settled, instances: [...quietPair, shadow("h3")], policy });
  t.deepEqual(kinds(first), ["demote"]);
  const later = T0 + 301_000;
  const instances = [live("h1", { requestRate: 25, cpu: 0.25, at: later }), shadow("h2", { at: later }), shadow("h3", { at: later })];
  const d = run({ state: last(first), instances, now: later, forecast: { current: 25, at: later }, policy });
  t.like(setShadows(d)[0], { from: 2, to: 1 });
  t.like(last(d), { replicas: 1, shadows: 1 });
  t.regex(setShadows(d)[0].reason, /fits on 1 live \+ 1 shadows/);
});

test("without minShadows the same ticks end with no understudy: the floor is what keeps one", (t) => {
  const first = run({ state: { ...settled, recommendations: [] }, instances: [...quietPair, shadow("h3")] });
  const later = T0 + 301_000;
  const instances = [live("h1", { requestRate: 25, cpu: 0.25, at: later }), shadow("h2", { at: later }), shadow("h3", { at: later })];
  t.like(last(run({ state: last(first), instances, now: later, forecast: { current: 25, at: later } })), { shadows: 0 });
});

test("the pool's scale-up counts the instances consolidation demotes into it", (t) => {
  // A wide forecast: the expected load fits on one live instance, but its upper tail wants shadows.
  const d = run({ state: settled, instances: [...quietPair, shadow("h3")], forecast: { current: 50, spread: 2 } });
  const wanted = d.costEstimate.orders?.chosen.shadows ?? 0;
  t.true(wanted >= 2, `the cost model wants ${wanted} shadows`);
  t.deepEqual(kinds(d), ["setShadows", "demote"]);
  // One of the wanted shadows is the demoted live instance: only the rest start cold.
  t.like(setShadows(d)[0], { from: 1, to: wanted - 1 });
  t.regex(setShadows(d)[0].reason, new RegExp(`^${wanted} shadows for 1 live: .*; 1 of them from live instances taken out of rotation, ${wanted - 2} new$`));
  t.like(last(d), { replicas: 1, shadows: wanted });
});

test("no cold shadow is started when the demoted instance is all the pool wants", (t) => {
  const d = run({ state: { ...settled, shadows: 0 }, instances: quietPair, forecast: { current: 50, pRise: 0.85 } });
  // The trigger wants one shadow and mirroring; the demoted instance is that shadow and receives the copies.
  t.deepEqual(kinds(d), ["setMirror", "demote"]);
  t.like(last(d), { replicas: 1, shadows: 1, mirrorPercent: 100 });
});
