import test from "ava";
import { makeCalendar } from "../../../automation/forecast/calendar";
import { BoostedTreesModel, BoostedTreesModelJSON } from "../../../automation/forecast/models/boosted-trees";
import { periodsFor } from "../../../automation/forecast/models/model";
import { seededRandom } from "../../../automation/forecast/random";
import { Series } from "../../../automation/forecast/series";
import { BoostedTrees, BoostedTreesJSON, BoostingSettings } from "../../../automation/forecast/trees";
import { HOUR, T0, gaussian } from "./synthetic";

const SETTINGS: BoostingSettings = { trees: 60, depth: 2, minLeaf: 10, shrinkage: 0.2, subsample: 0.5, bins: 16 };

test("boosted trees learn a step's medians, unmoved by huge outliers, and a missing feature gets its own branch", (t) => {
  const random = seededRandom(3);
  const rows = 600;
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = random();
    x[2 * r] = a;
    // The second feature is missing on a third of the rows, and those rows sit at 30.
    const missing = r % 3 === 0;
    x[2 * r + 1] = missing ? NaN : random();
    y[r] = (missing ? 30 : a > 0.5 ? 10 : 0) + (random() - 0.5) + (r % 50 === 0 ? 1e6 : 0);
  }
  const trees = BoostedTrees.fit({ x, y, rows, p: 2 }, SETTINGS, seededRandom(1));
  t.true(Math.abs(trees.predict([0.2, 0.5]) - 0) < 1, `low side ${trees.predict([0.2, 0.5])}`);
  t.true(Math.abs(trees.predict([0.8, 0.5]) - 10) < 1, `high side ${trees.predict([0.8, 0.5])}`);
  t.true(Math.abs(trees.predict([0.8, NaN]) - 30) < 1, `missing feature ${trees.predict([0.8, NaN])}`);
  const restored = BoostedTrees.fromJSON(JSON.parse(JSON.stringify(trees.toJSON())) as BoostedTreesJSON);
  t.is(restored.predict([0.8, 0.5]), trees.predict([0.8, 0.5]));
});

/** Busy from 08:00 to 20:00 (150), quiet otherwise (50). */
const office = (i: number): number => (i % 24 >= 8 && i % 24 < 20 ? 150 : 50);

const noisyOffice = (days: number): Series => {
  const noise = gaussian(5);
  const values = Array.from({ length: 24 * days }, (_, i) => office(i) + 5 * noise());
  return new Series(T0, HOUR, 0, values, new Array<number>(values.length).fill(0), makeCalendar("UTC", []), 10_000);
};

test("boosted-trees member: follows the daily pattern through its switches, deterministic, and round-trips", (t) => {
  const s = noisyOffice(21);
  const fit = (): BoostedTreesModel => {
    const model = BoostedTreesModel.fit(s, periodsFor(HOUR), 12, 42);
    if (typeof model === "string") throw new Error(model);
    return model;
  };
  const model = fit();
  const forecast = model.forecast(s, 12);
  // From midnight: 8 quiet hours, then the busy day starts (persistence would miss it by 100).
  forecast.forEach((v, k) => t.true(Math.abs(v - office(s.end + k)) < 15, `hour ${k}: ${v}, wanted ${office(s.end + k)}`));
  t.deepEqual(fit().forecast(s, 12), forecast, "same seed, same trees");
  const restored = BoostedTreesModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())) as BoostedTreesModelJSON);
  t.deepEqual(restored.forecast(s, 12), forecast);
});

test("boosted-trees member: too few training rows is refused with the reason", (t) => {
  t.regex(BoostedTreesModel.fit(noisyOffice(2), periodsFor(HOUR), 12, 42) as string, /training rows/);
});
