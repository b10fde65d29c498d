import test from "ava";
import { createForecaster, QUANTILES } from "../../../automation/forecast";
import { HOUR, TINY_LSTM, daily, series } from "./synthetic";

const MEDIAN = QUANTILES.indexOf(0.5);
const history = series(24 * 14, HOUR, daily);
const future = series(24, HOUR, (i) => daily(24 * 14 + i), history[history.length - 1].t + HOUR);

test("seasonal naive is exact on a periodic series", (t) => {
  const f = createForecaster("seasonal-naive");
  const report = f.fit(history);
  t.deepEqual(report.modelsUsed, ["seasonal-naive"]);
  const forecast = f.predict(24);
  forecast.forEach((step, k) => {
    t.is(step.t, future[k].t);
    t.true(Math.abs(step.quantiles[MEDIAN] - future[k].v) < 1e-9);
    t.true(Math.abs(step.quantiles[0] - step.quantiles[5]) < 1e-9, "no residual, no spread");
  });
});

test("Holt-Winters recovers a pure seasonal series, with smoothing parameters fitted", (t) => {
  const f = createForecaster("holt-winters");
  const report = f.fit(history);
  t.true(report.notes.some((n) => /holt-winters \((additive|multiplicative), daily, damped; α=/.test(n)));
  for (const [k, step] of f.predict(24).entries()) t.true(Math.abs(step.quantiles[MEDIAN] - future[k].v) < 1, `step ${k + 1}`);
});

test("Holt-Winters follows the season through update() without refitting", (t) => {
  const f = createForecaster("holt-winters");
  f.fit(history.slice(0, 24 * 10));
  f.update(history.slice(24 * 10));
  const next = f.predict(1)[0];
  t.is(next.t, future[0].t);
  t.true(Math.abs(next.quantiles[MEDIAN] - future[0].v) < 1);
});

test("the LSTM learns a seasonal series (tiny network) and is deterministic for a seed", (t) => {
  const fit = (seed: number) => {
    const f = createForecaster("lstm", { seed, lstm: { ...TINY_LSTM, iterations: 15, hiddenSize: 8 } });
    const report = f.fit(history);
    return { report, forecast: f.predict(6) };
  };
  const a = fit(7);
  t.deepEqual(a.report.modelsUsed, ["lstm"]);
  t.true(a.report.notes.some((n) => n.startsWith("lstm (window 8, hidden 8")));
  const error = a.forecast.reduce((s, step, k) => s + Math.abs(step.quantiles[MEDIAN] - future[k].v), 0) / 6;
  t.true(error < 10, `mean abs error ${error} on a ±30 swing`);
  t.deepEqual(fit(7).forecast, a.forecast, "same seed, same forecast");
  t.notDeepEqual(fit(8).forecast, a.forecast, "another seed, another network");
});

test("the ensemble weights its members and favours the one that is right", (t) => {
  const f = createForecaster("ensemble", { lstm: TINY_LSTM });
  const report = f.fit(history);
  t.deepEqual(report.modelsUsed, ["naive", "seasonal-naive", "holt-winters", "regression", "lstm", "daily-profile", "local-median", "boosted-trees"]);
  const { weights } = f.status();
  t.true(Math.abs(Object.values(weights).reduce((a, b) => a + b, 0) - 1) < 1e-9);
  // Seasonal naive and Holt-Winters are both exact on a pure season (either may be selected alone).
  const exact = weights["seasonal-naive"] + weights["holt-winters"];
  t.true(exact > weights.naive, "the exact models outweigh persistence");
  t.true(exact > weights.lstm, "the exact models outweigh the rough one");
  for (const [k, step] of f.predict(6).entries()) t.true(Math.abs(step.quantiles[MEDIAN] - future[k].v) < 2);
});

test("quantiles are ordered and aligned with QUANTILES", (t) => {
  const f = createForecaster("holt-winters");
  f.fit(series(24 * 10, HOUR, (i) => daily(i) + ((i * 7919) % 13) - 6));
  for (const step of f.predict(30)) {
    t.is(step.quantiles.length, QUANTILES.length);
    for (let j = 1; j < step.quantiles.length; j++) t.true(step.quantiles[j] >= step.quantiles[j - 1]);
  }
});

test("calendar events are inputs: seasonal naive forecasts a holiday from the last holiday", (t) => {
  // Every Sunday (2024-01-07, -14, -21, -28) is an event day with load 10 instead of the usual pattern.
  const sundays = ["2024-01-07", "2024-01-14", "2024-01-21", "2024-01-28"];
  const events = sundays.map((d) => ({ name: "closed", start: d, end: d }));
  const isSunday = (i: number) => new Date(history[0].t + i * HOUR).getUTCDay() === 0;
  const load = (i: number) => (isSunday(i) ? 10 : daily(i));
  const f = createForecaster("seasonal-naive", { events, seasonalNaive: { season: "daily" } });
  f.fit(series(24 * 20, HOUR, load));
  // History ends Saturday 2024-01-20 23:00; the next day is the Sunday event.
  for (const step of f.predict(24)) t.true(Math.abs(step.quantiles[MEDIAN] - 10) < 1e-9);
});
