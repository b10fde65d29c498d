import test from "ava";
import { QUANTILES } from "../../../automation/forecast";
import { CostInputs, costOf, estimateCost, exceedance } from "../../../automation/decide";
import { quantilesAround } from "./fixtures";

const q = [80, 90, 100, 110, 120, 130];

const exceedances: [string, number, number][] = [
  ["at the median", 100, 0.5],
  ["at q0.9", 120, 0.1],
  ["between q0.8 and q0.9", 115, 0.15],
  ["at the top quantile", 130, 0.05],
  ["at the bottom quantile", 80, 0.95],
];
for (const [name, c, p] of exceedances) {
  test(`exceedance ${name}`, (t) => t.true(Math.abs(exceedance(q, c) - p) < 1e-6, `${exceedance(q, c)} vs ${p}`));
}

test("exceedance: Gaussian tails beyond the outer quantiles, continuous and monotone", (t) => {
  t.true(exceedance(q, 140) < 0.05 && exceedance(q, 140) > exceedance(q, 160));
  t.true(exceedance(q, 200) < 1e-6);
  t.true(exceedance(q, 70) > 0.95 && exceedance(q, 0) > 0.999);
  t.true(Math.abs(exceedance(q, 130.0001) - 0.05) < 1e-4);
  t.is(exceedance([5, 5, 5, 5, 5, 5], 6), 0);
  t.is(exceedance([5, 5, 5, 5, 5, 5], 4), 1);
  t.is(q.length, QUANTILES.length);
});

const base: CostInputs = {
  live: 4,
  capacityPerInstance: 100,
  cpuThreshold: 0.95,
  steps: [{ t: 1, quantiles: quantilesAround(380, 0.1) }],
  horizonSec: 600,
  pricePerHour: 0.1,
  degradedCostPerMinute: 1,
  downtimeCostPerMinute: 10,
};

test("cost of k shadows: instance-hours × price plus expected degraded and down minutes × their cost", (t) => {
  const c = costOf(1, base);
  t.true(Math.abs(c.instanceCost - (1 * 0.1 * 600) / 3600) < 1e-12);
  const capacity = 5 * 100;
  t.true(Math.abs(c.downMinutes - exceedance(base.steps[0].quantiles, capacity) * 10) < 1e-9);
  t.true(Math.abs(c.penalty - (c.degradedMinutes * 1 + c.downMinutes * 10)) < 1e-12);
  t.true(costOf(0, base).pShortfall > costOf(2, base).pShortfall);
});

const choices: [string, Partial<CostInputs>, (k: number) => boolean][] = [
  ["load well inside live capacity: none", { steps: [{ t: 1, quantiles: quantilesAround(200, 0.05) }] }, (k) => k === 0],
  ["load near the threshold: some", {}, (k) => k >= 1],
  ["free shortfalls: none", { degradedCostPerMinute: 0, downtimeCostPerMinute: 0 }, (k) => k === 0],
  ["expensive instances, cheap shortfalls: fewer", { pricePerHour: 1000 }, (k) => k === 0],
];
for (const [name, over, ok] of choices) {
  test(`cost model chooses the cheapest count: ${name}`, (t) => {
    const est = estimateCost({ ...base, ...over }, 0, 6);
    t.is(est.candidates.length, 7);
    t.true(ok(est.chosen.shadows), `chose ${est.chosen.shadows}`);
    t.is(est.chosen.total, Math.min(...est.candidates.map((c) => c.total)));
  });
}
