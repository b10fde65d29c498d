import test from "ava";
import { ClusterView, DEFAULT_HPA, HpaController, PodSample, ReactiveHpa, resourceReplicas } from "../../../automation/simulate";
import { podSamples } from "../../../automation/simulate/strategies/hpa";

const O = { ...DEFAULT_HPA, targetUtilisation: 0.7 };
const ready = (...u: number[]): PodSample[] => u.map((utilisation) => ({ ready: true, utilisation }));
const unready = (n: number): PodSample[] => Array.from({ length: n }, () => ({ ready: false }));
const missing = (n: number): PodSample[] => Array.from({ length: n }, () => ({ ready: true }));

// Expected values worked out from replica_calculator.go's GetResourceReplicas; "naive" is
// ceil(Σ utilisation / target) over the ready pods, where the controller's rules give something else.
const cases: [string, PodSample[], number, number | null][] = [
  ["within the 10 % tolerance nothing changes", ready(0.74, 0.74), 2, 2],
  ["scale up to ceil(ready × utilisation / target)", ready(0.9, 0.9), 2, 3],
  ["the signal is not capped: 150 % reads as 150 %", ready(1.5, 1.5, 1.5), 3, 7],
  ["scale down", ready(0.2, 0.2, 0.2, 0.2), 4, 2],
  // naive: 3 (a scale-down while pods start); put back at 0 % they reverse the direction: keep 4.
  ["unready pods count 0 % on a scale-up, and a reversal keeps the count", [...ready(0.9, 0.9), ...unready(2)], 4, 4],
  // Not 100 % (that is only for missing metrics): a scale-down leaves unready pods out entirely.
  ["unready pods are left out of a scale-down", [...ready(0.3, 0.3), ...unready(2)], 4, 1],
  // naive 1; with the missing pod at 100 %: mean 0.4 → ceil(0.571 × 3) = 2.
  ["a pod without a metric counts 100 % on a scale-down", [...ready(0.1, 0.1), ...missing(1)], 3, 2],
  ["and can bring a scale-down within tolerance", [...ready(0.3, 0.3), ...missing(2)], 4, 4],
  // naive 3 (down); at 0 % the ratio falls below 1: reversal, keep 4.
  ["a pod without a metric counts 0 % on a scale-up", [...ready(0.8, 0.8), ...missing(2)], 4, 4],
  ["without a ready pod with a metric nothing is known", [...unready(2), ...missing(1)], 3, null],
];
for (const [name, pods, current, want] of cases) test(`hpa: ${name}`, (t) => t.is(resourceReplicas(pods, current, O), want));

test("hpa: up at once, down only to the highest recommendation of the last 5 minutes", (t) => {
  const hpa = new HpaController(O);
  t.is(hpa.stabilise(0, 6, 4), 6);
  t.is(hpa.stabilise(60_000, 3, 6), 6);
  t.is(hpa.stabilise(240_000, 4, 6), 6);
  t.is(hpa.stabilise(301_000, 3, 6), 4, "the 6 has left the window, the 4 has not");
  t.is(hpa.stabilise(541_000, 3, 4), 3);
});

test("hpa: scale-up is limited to max(4 pods, 100 %) per sync", (t) => {
  t.is(new HpaController(O).stabilise(0, 20, 2), 6);
  t.is(new HpaController(O).stabilise(0, 50, 10), 20);
  t.is(new HpaController(O).stabilise(0, 50, 190), 50);
  t.is(new HpaController(O).stabilise(0, 500, 190), 200, "and never above maxReplicas");
});

function view(now: number, pods: { id: string; ready: boolean; readyAt: number; cpu?: number }[]): ClusterView {
  return {
    now,
    demand: 0,
    instances: pods.map((p) => ({ id: p.id, role: "live", ready: p.ready, readyAt: p.readyAt, warmth: 1 })),
    observations: pods
      .filter((p) => p.cpu !== undefined)
      .map((p) => ({ instance: p.id, host: p.id, role: "live", at: now, cpu: p.cpu, requestRate: (p.cpu as number) * 100, up: true })),
    mirrorPercent: 0,
    weightPercent: 0,
  };
}

test("hpa: a pod is unready while it starts and for one metric window after; ready without a metric is missing", (t) => {
  const v = view(100_000, [
    { id: "a", ready: true, readyAt: 0, cpu: 0.5 },
    { id: "b", ready: false, readyAt: 200_000 },
    { id: "c", ready: true, readyAt: 90_000, cpu: 0.1 },
    { id: "d", ready: true, readyAt: 0 },
  ]);
  t.deepEqual(podSamples(v, O), [
    { ready: true, utilisation: 0.5 },
    { ready: false, utilisation: undefined },
    { ready: false, utilisation: 0.1 },
    { ready: true, utilisation: undefined },
  ]);
});

test("hpa: the controller acts once per 15 s sync, whatever the simulator's clock", (t) => {
  const hpa = new ReactiveHpa(O);
  const hot = (now: number): ClusterView => view(now, [{ id: "a", ready: true, readyAt: -60_000, cpu: 1.4 }]);
  t.deepEqual(hpa.tick(hot(0)), [{ kind: "setLive", count: 2 }]);
  t.deepEqual(hpa.tick(hot(5_000)), []);
  t.deepEqual(hpa.tick(hot(15_000)), [{ kind: "setLive", count: 2 }]);
});
