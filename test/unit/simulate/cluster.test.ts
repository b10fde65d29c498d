import test from "ava";
import { Cluster, DEFAULT_SIM_PARAMS, PROMOTION, SimParams } from "../../../automation/simulate";

const P: SimParams = { ...DEFAULT_SIM_PARAMS, coldStartSec: 120, warmUpSec: 60, coldCapacityFraction: 0.5, mirrorOverhead: 0.02 };
const WARM: SimParams = { ...P, promotion: PROMOTION["warm-flip"] };
const T = 1_000_000;
const sec = (s: number): number => T + s * 1000;

test("live instances share the load in proportion to capacity; utilisation, p99 and errors follow M/M/1", (t) => {
  const c = new Cluster(P, T, 2);
  const { load, view } = c.measure(T, 150);
  t.is(load.utilisation, 0.75);
  t.is(load.liveCapacity, 200);
  const o = view.observations[0];
  t.like(o, { role: "live", requestRate: 75, cpu: 0.75, errorRate: 0, up: true });
  t.true(Math.abs((o.p99Ms as number) - (1000 * Math.log(100)) / (100 * 0.25)) < 1e-9);
  const over = c.measure(T, 300).view.observations[0];
  t.like(over, { cpu: 1.5, requestRate: 150, p99Ms: 10_000 }, "offered utilisation: not capped at 100 %");
  t.true(Math.abs((over.errorRate as number) - (1 - 1 / 1.5)) < 1e-9);
});

test("a new instance serves nothing until its cold start is over, then half until warm", (t) => {
  const c = new Cluster(P, T, 1);
  c.apply([{ kind: "setLive", count: 2 }], T);
  t.is(c.coldStarts, 1);
  t.is(c.measure(sec(60), 50).load.liveCapacity, 100);
  t.is(c.measure(sec(120), 50).load.liveCapacity, 150);
  c.warm(sec(120), 30);
  t.is(c.measure(sec(150), 50).load.liveCapacity, 175);
  c.warm(sec(150), 30);
  t.is(c.measure(sec(180), 50).load.liveCapacity, 200);
});

test("with a warm flip, a mirrored shadow warms up and is promoted at full capacity in one action", (t) => {
  const c = new Cluster(WARM, T, 1);
  c.apply([{ kind: "setShadows", count: 1 }, { kind: "setMirror", percent: 100 }], T);
  c.warm(sec(120), 60);
  const { view, load } = c.measure(sec(180), 50);
  t.true(Math.abs(load.utilisation - 0.51) < 1e-9, "mirroring costs the live path 2 %");
  const shadow = view.observations.find((o) => o.role === "shadow");
  t.like(shadow, { requestRate: 50, cpu: 0.5 });
  c.apply([{ kind: "promote", id: shadow?.instance ?? "" }], sec(180));
  t.is(c.measure(sec(180), 50).load.liveCapacity, 200);
  t.is(c.restarts, 0);
});

test("on the local platform a promotion is warm and in place, a demotion restarts cold", (t) => {
  t.is(P.promotion, PROMOTION.local);
  const c = new Cluster(P, T, 1);
  c.apply([{ kind: "setShadows", count: 1 }, { kind: "setMirror", percent: 100 }], T);
  c.warm(sec(120), 60);
  const id = c.measure(sec(180), 50).view.observations.find((o) => o.role === "shadow")?.instance ?? "";
  c.apply([{ kind: "promote", id }], sec(180));
  t.is(c.restarts, 0);
  t.like(c.measure(sec(181), 50).view.instances.find((x) => x.id === id), { role: "live", ready: true, warmth: 1 });
  t.is(c.measure(sec(181), 50).load.liveCapacity, 200, "serving at full capacity a second after the decision");
  c.apply([{ kind: "demote", id }], sec(181));
  t.is(c.restarts, 1);
  t.like(c.measure(sec(182), 50).view.instances.find((x) => x.id === id), { role: "shadow", ready: false, readyAt: sec(181 + 120), warmth: 0 });
});

test("on kubernetes (a new pod) a promotion restarts the shadow: nothing for a cold start, then cold", (t) => {
  const c = new Cluster({ ...P, promotion: PROMOTION.kubernetes }, T, 1);
  c.apply([{ kind: "setShadows", count: 1 }, { kind: "setMirror", percent: 100 }], T);
  c.warm(sec(120), 60);
  const id = c.measure(sec(180), 50).view.observations.find((o) => o.role === "shadow")?.instance ?? "";
  t.is(c.measure(sec(180), 50).view.instances.find((x) => x.id === id)?.warmth, 1);
  c.apply([{ kind: "promote", id }], sec(180));
  t.is(c.restarts, 1);
  const during = c.measure(sec(299), 50);
  t.is(during.load.liveCapacity, 100, "the promoted instance serves nothing while it restarts");
  t.like(during.view.instances.find((x) => x.id === id), { role: "live", ready: false, readyAt: sec(300), warmth: 0 });
  t.false(during.view.observations.some((o) => o.instance === id));
  t.is(c.measure(sec(300), 50).load.liveCapacity, 150, "then it serves at the cold fraction");
  t.is(c.coldStarts, 1, "a restart is not a new instance");
});

test("the promotion delay follows the cold start it is swept with", (t) => {
  const c = new Cluster({ ...P, coldStartSec: 60 }, T, 2);
  const id = c.measure(T, 10).view.observations[1].instance;
  c.apply([{ kind: "demote", id }], T);
  t.like(c.measure(T, 10).view.instances.find((x) => x.id === id), { role: "shadow", ready: false, readyAt: sec(60), warmth: 0 });
});

test("an idle shadow's caches go stale slowly; with a warm flip a demoted instance keeps its warmth", (t) => {
  const c = new Cluster(WARM, T, 2);
  const id = c.measure(T, 10).view.observations[1].instance;
  c.apply([{ kind: "demote", id }], T);
  const shadow = (): number => c.measure(T, 10).view.instances.find((x) => x.id === id)?.warmth ?? NaN;
  t.is(shadow(), 1);
  c.warm(T, 60);
  t.true(Math.abs(shadow() - 0.9) < 1e-9);
});

test("scale-down stops booting instances first, then the coldest; only real changes count", (t) => {
  const c = new Cluster(P, T, 2);
  c.apply([{ kind: "setLive", count: 3 }], T);
  c.apply([{ kind: "setLive", count: 2 }], sec(1));
  const ready = c.measure(sec(1), 10).view.instances;
  t.deepEqual(ready.map((x) => x.ready), [true, true]);
  c.apply([{ kind: "setLive", count: 2 }, { kind: "promote", id: "nope" }, { kind: "setMirror", percent: 0 }], sec(2));
  t.is(c.scaleActions, 2);
});

test("no strategy runs more instances than there are hosts", (t) => {
  const c = new Cluster({ ...P, maxInstances: 3 }, T, 1);
  c.apply([{ kind: "setLive", count: 10 }], T);
  t.is(c.measure(T, 1).load.instances, 3);
  t.is(c.coldStarts, 2);
});
