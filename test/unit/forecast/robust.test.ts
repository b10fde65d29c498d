import test from "ava";
import { restoreForecaster, createForecaster } from "../../../automation/forecast";
import { makeCalendar } from "../../../automation/forecast/calendar";
import { PipelineForecaster } from "../../../automation/forecast/forecaster";
import { DailyProfile } from "../../../automation/forecast/models/daily-profile";
import { Ensemble } from "../../../automation/forecast/models/ensemble";
import { LocalMedian } from "../../../automation/forecast/models/local-median";
import { periodsFor } from "../../../automation/forecast/models/model";
import { Selector, SelectorJSON } from "../../../automation/forecast/models/selection";
import { Series } from "../../../automation/forecast/series";
import { HOUR, T0, gaussian, series } from "./synthetic";

/** Busy from 08:00 to 20:00 (150), quiet otherwise (50): a step pattern medians reproduce exactly. */
const office = (i: number): number => (i % 24 >= 8 && i % 24 < 20 ? 150 : 50);

const seriesOf = (values: number[]): Series => new Series(T0, HOUR, 0, values, new Array<number>(values.length).fill(0), makeCalendar("UTC", []), 10_000);

test("daily profile: tomorrow's hours from the median of past days, untouched by one day's spike", (t) => {
  const values = Array.from({ length: 24 * 10 }, (_, i) => office(i));
  values[24 * 9 + 10] = 1000;
  const s = seriesOf(values);
  const model = DailyProfile.fit(s, periodsFor(HOUR), 12, 5);
  if (typeof model === "string") return t.fail(model);
  model.forecast(s, 12).forEach((v, k) => t.true(Math.abs(v - office(24 * 10 + k)) < 1e-6, `hour ${k}: ${v}`));
});

test("daily profile: a shift of the last hours carries into the forecast (the level), a single spike does not", (t) => {
  const values = Array.from({ length: 24 * 10 }, (_, i) => office(i) + (i >= 24 * 10 - 6 ? 30 : 0));
  values[values.length - 1] = 900;
  const s = seriesOf(values);
  const model = DailyProfile.fit(s, periodsFor(HOUR), 12, 5);
  if (typeof model === "string") return t.fail(model);
  const night = model.forecast(s, 6);
  for (const v of night) t.true(Math.abs(v - 80) < 1e-6, `night forecast ${v}, wanted 50 + 30`);
});

test("daily profile: under two days of history is refused with the reason", (t) => {
  const s = seriesOf(Array.from({ length: 30 }, (_, i) => office(i)));
  t.regex(DailyProfile.fit(s, periodsFor(HOUR), 12, 5) as string, /under two days/);
});

test("local median: a spike in the last slot barely moves it (persistence would carry it)", (t) => {
  const s = seriesOf([10, 10, 11, 11, 12, 500]);
  t.deepEqual(new LocalMedian().forecast(s, 3), [11, 11, 11]);
});

test("selector: a member replaces the combination only once enough outcomes show it clearly better", (t) => {
  const selector = Selector.start({ margin: 0.97, minimum: 10 }, 20, 2, 1);
  for (let i = 0; i < 9; i++) selector.resolve(1, 105, [100, 120], 100);
  t.is(selector.choice(1, [true, true]), null, "under the minimum: the combination");
  selector.resolve(1, 105, [100, 120], 100);
  t.is(selector.choice(1, [true, true]), 0);
  t.is(selector.choice(1, [false, true]), null, "an unavailable member is never chosen");
  const close = Selector.start({ margin: 0.97, minimum: 1 }, 20, 1, 1);
  close.resolve(1, 110, [109.8], 100);
  t.is(close.choice(1, [true]), null, "within the margin the combination stays");
  t.deepEqual(Selector.fromJSON(JSON.parse(JSON.stringify(selector.toJSON())) as SelectorJSON).toJSON(), selector.toJSON());
});

test("the ensemble hands a horizon to a member that is clearly right, reports weight 1 for it, and round-trips", (t) => {
  const noise = gaussian(4);
  const points = series(24 * 14, HOUR, (i) => office(i) + noise());
  const options = { ensemble: { members: ["naive" as const, "daily-profile" as const], stacking: false as const, power: 0.5, selection: { minimum: 20 } } };
  const selecting = createForecaster("ensemble", options) as PipelineForecaster;
  const combining = createForecaster("ensemble", { ensemble: { ...options.ensemble, selection: false as const } }) as PipelineForecaster;
  selecting.fit(points.slice(0, 24 * 12));
  combining.fit(points.slice(0, 24 * 12));
  t.deepEqual(selecting.status().weights, { naive: 0, "daily-profile": 1 });
  t.true(combining.status().weights.naive > 0.01, `without selection naive keeps weight: ${JSON.stringify(combining.status().weights)}`);
  const model = selecting.fitted?.model as Ensemble;
  const profile = model.members[1].model;
  const s = selecting.fitted?.series as Series;
  t.deepEqual(model.forecast(s, 12), profile.forecast(s, 12));
  const restored = restoreForecaster(JSON.parse(JSON.stringify(selecting.toJSON())));
  for (const p of points.slice(24 * 12)) {
    selecting.update([p]);
    restored.update([p]);
  }
  t.deepEqual(restored.predict(12), selecting.predict(12));
  t.deepEqual(restored.status(), selecting.status());
});
