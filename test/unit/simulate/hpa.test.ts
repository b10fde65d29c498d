import test from "ava";
import { ClusterView, DEFAULT_HPA, HpaRecommender } from "../../../automation/simulate";

function view(cpus: number[], booting = 0): ClusterView {
  const ready = cpus.map((_, i) => ({ id: `vm-${i}`, role: "live" as const, ready: true, warmth: 1 }));
  const boot = Array.from({ length: booting }, (_, i) => ({ id: `new-${i}`, role: "live" as const, ready: false, warmth: 0 }));
  return {
    now: 0,
    demand: 0,
    instances: [...ready, ...boot],
    observations: cpus.map((cpu, i) => ({ instance: `vm-${i}`, host: `vm-${i}`, role: "live", at: 0, cpu, requestRate: cpu * 100, up: true })),
    mirrorPercent: 0,
    weightPercent: 0,
  };
}

const cases: [string, ClusterView, number | null][] = [
  ["within the 10 % tolerance nothing changes", view([0.64, 0.64]), 2],
  ["scale up to ceil(ready × utilisation / target)", view([0.9, 0.9]), 3],
  ["saturated pods read 100 %", view([1, 1, 1]), 5],
  ["pods still starting count as 0 % for a scale-up", view([0.9, 0.9], 1), 3],
  ["and as 100 % for a scale-down, which can cancel it", view([0.3, 0.3], 2), 4],
  ["scale down", view([0.2, 0.2, 0.2, 0.2]), 2],
  ["without a ready pod nothing is known", view([], 2), null],
];
for (const [name, v, want] of cases) test(`hpa: ${name}`, (t) => t.is(new HpaRecommender(DEFAULT_HPA).recommend(v), want));

test("hpa: up at once, down only to the highest recommendation of the last 5 minutes", (t) => {
  const hpa = new HpaRecommender(DEFAULT_HPA);
  t.is(hpa.stabilise(0, 6, 4), 6);
  t.is(hpa.stabilise(60_000, 3, 6), 6);
  t.is(hpa.stabilise(301_000, 3, 6), 3);
});
