// Which shadow is promoted, and the reasons a promotion is refused.
import test from "ava";
import { Observation, ReplicaObservation } from "../../../automation/replication/driver";
import { choosePromotion } from "../../../automation/replication/plan";

const replica = (host: string, over: Partial<ReplicaObservation> = {}): ReplicaObservation => ({
  host,
  state: "streaming",
  lagBytes: 0,
  lagSeconds: 0,
  appliedLsn: 1000n,
  applyErrors: 0,
  syncErrors: 0,
  syncStandby: true,
  ...over,
});
const alive = (replicas: ReplicaObservation[]): Observation => ({ primary: { host: "host-1", reachable: true, currentLsn: 2000n }, replicas });
const dead = (replicas: ReplicaObservation[]): Observation => ({ primary: { host: "host-1", reachable: false, error: "ECONNREFUSED" }, replicas });
const sync = { mode: "sync" as const, maxLagSeconds: 5 };

test("primary alive: the least-behind healthy shadow", (t) => {
  const c = choosePromotion(alive([replica("host-3", { lagBytes: 900 }), replica("host-4", { lagBytes: 10 })]), sync);
  t.like(c, { ok: true, target: "host-4", primaryAlive: true });
});

test("refused when the requested shadow lags past the bound, is down, or its worker is stopped; says why", (t) => {
  const o = alive([
    replica("host-3", { lagSeconds: 12.5 }),
    replica("host-4", { state: "unreachable", error: "connect ECONNREFUSED", lagSeconds: undefined }),
    replica("host-5", { state: "stopped", applyErrors: 7 }),
  ]);
  t.deepEqual(choosePromotion(o, sync, "host-3"), { ok: false, reasons: ["host-3 is 12.5 s behind, over the 5 s bound (replication.maxLagSeconds)"] });
  t.deepEqual(choosePromotion(o, sync, "host-4"), { ok: false, reasons: ["host-4 is unreachable (connect ECONNREFUSED)"] });
  t.deepEqual(choosePromotion(o, sync, "host-5"), { ok: false, reasons: ["host-5 is stopped, 7 apply errors so far: see its server log"] });
  t.like(choosePromotion(o, sync), { ok: false });
  t.like(choosePromotion(o, sync, "host-9"), { ok: false, reasons: ["host-9 has no replica of this service (replicas: host-3, host-4, host-5)"] });
});

test("a lag that cannot be measured is not taken for zero", (t) => {
  t.deepEqual(choosePromotion(alive([replica("host-3", { lagSeconds: undefined, lagBytes: 5000 })]), sync), {
    ok: false,
    reasons: ["host-3's lag cannot be measured (nothing confirmed)"],
  });
});

test("primary dead: the most advanced shadow, whatever its error count (losing the publisher is one)", (t) => {
  const c = choosePromotion(dead([replica("host-3", { appliedLsn: 1500n, applyErrors: 1 }), replica("host-4", { appliedLsn: 1700n, applyErrors: 1, state: "stopped" })]), sync);
  t.like(c, { ok: true, target: "host-4", primaryAlive: false });
});

test("primary dead: a less advanced shadow is refused unless data loss is accepted", (t) => {
  const o = dead([replica("host-3", { appliedLsn: 1500n }), replica("host-4", { appliedLsn: 1700n })]);
  t.deepEqual(choosePromotion(o, sync, "host-3"), { ok: false, reasons: ["host-3 is 200 bytes behind host-4: promoting it would lose writes host-4 has"] });
  t.like(choosePromotion(o, { ...sync, acceptDataLoss: true }, "host-3"), { ok: true, target: "host-3" });
});

test("primary dead, sync: a shadow out of sight may hold the last acknowledged commits", (t) => {
  const o = dead([replica("host-3"), replica("host-4", { state: "unreachable", appliedLsn: undefined })]);
  t.like(choosePromotion(o, sync), { ok: false });
  t.regex((choosePromotion(o, sync) as { reasons: string[] }).reasons[0], /host-4 cannot be compared and may hold acknowledged writes/);
  // Async makes no such promise: the most advanced in sight is promoted.
  t.like(choosePromotion(o, { mode: "async", maxLagSeconds: 5 }), { ok: true, target: "host-3" });
});

test("no shadow at all", (t) => {
  t.deepEqual(choosePromotion(alive([]), sync), { ok: false, reasons: ["the service has no shadow store to promote"] });
});
