import test from "ava";
import { QUANTILES, createForecaster } from "../../../automation/forecast";
import { makeCalendar } from "../../../automation/forecast/calendar";
import { PipelineForecaster } from "../../../automation/forecast/forecaster";
import { lad } from "../../../automation/forecast/linear";
import { periodsFor } from "../../../automation/forecast/models/model";
import { Regression } from "../../../automation/forecast/models/regression";
import { Series } from "../../../automation/forecast/series";
import { HOUR, daily, gaussian, series } from "./synthetic";

const MEDIAN = QUANTILES.indexOf(0.5);

test("naive (persistence) forecasts the last observed load at every step, and follows update()", (t) => {
  const f = createForecaster("naive") as PipelineForecaster;
  const history = series(24 * 3, HOUR, daily);
  t.deepEqual(f.fit(history).modelsUsed, ["naive"]);
  const point = (): number[] => (f.fitted as { latest: number[] }).latest;
  t.deepEqual(point(), new Array<number>(point().length).fill(history[history.length - 1].v));
  f.update([{ t: history[history.length - 1].t + HOUR, v: 500 }]);
  t.deepEqual(point(), new Array<number>(point().length).fill(500));
});

test("least absolute deviations recovers a line through 20 % gross outliers (least squares would not)", (t) => {
  const noise = gaussian(11);
  const rows = 400;
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const v = r / 40;
    x[2 * r] = 1;
    x[2 * r + 1] = v;
    y[r] = 1 + 2 * v + 0.01 * noise() + (r % 5 === 0 ? 50 : 0);
  }
  const [intercept, slope] = lad({ x, y, rows, p: 2 }, 0, 20);
  t.true(Math.abs(intercept - 1) < 0.05, `intercept ${intercept}`);
  t.true(Math.abs(slope - 2) < 0.02, `slope ${slope}`);
  const [olsIntercept] = lad({ x, y, rows, p: 2 }, 0, 0);
  t.true(olsIntercept > 5, "the squares fit is dragged up by the outliers");
});

test("the regression forecasts a daily pattern with autocorrelated noise better than persistence, beyond its fitted horizon too", (t) => {
  const noise = gaussian(5);
  let ar = 0;
  const values = Array.from({ length: 24 * 21 }, (_, i) => {
    ar = 0.8 * ar + 3 * noise();
    return daily(i) + ar;
  });
  const points = values.map((v, i) => ({ t: Date.UTC(2024, 0, 1) + i * HOUR, v }));
  const fitUntil = 24 * 17;
  const errors = { regression: 0, naive: 0 };
  for (const kind of ["regression", "naive"] as const) {
    const f = createForecaster(kind);
    const report = f.fit(points.slice(0, fitUntil));
    if (kind === "regression") t.true(report.notes.some((n) => /^regression \((log|level) space, direct per horizon/.test(n)), report.notes.join("; "));
    for (let origin = fitUntil; origin + 18 <= points.length; origin += 6) {
      const forecast = f.predict(18);
      for (let k = 0; k < 18; k++) errors[kind] += Math.abs(forecast[k].quantiles[MEDIAN] - values[origin + k]);
      f.update(points.slice(origin, origin + 6));
    }
  }
  t.true(errors.regression < 0.6 * errors.naive, `regression ${errors.regression.toFixed(0)} vs naive ${errors.naive.toFixed(0)}`);
});

test("the regression uses the seasons its history holds, and says what it left out", (t) => {
  const calendar = makeCalendar("UTC", []);
  const FIVE_MINUTES = 300_000;
  const fitOn = (days: number, stepMs: number): { model: Regression | string; notes: string[] } => {
    const perDay = 86_400_000 / stepMs;
    const values = Array.from({ length: Math.round(days * perDay) }, (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / perDay));
    const s = new Series(Date.UTC(2024, 0, 1), stepMs, 0, values, values.map(() => 0), calendar, 100_000);
    const notes: string[] = [];
    return { model: Regression.fit(s, periodsFor(stepMs), 12, 10, notes), notes };
  };
  const twoDays = fitOn(2, FIVE_MINUTES);
  t.true(twoDays.model instanceof Regression);
  t.is((twoDays.model as Regression).spec.dailyLags, 0);
  t.true(twoDays.notes.some((n) => /under three days of history; no daily features/.test(n)));
  const tenDays = fitOn(10, HOUR);
  t.true(tenDays.notes.some((n) => /under two weeks of history; no weekly features/.test(n)));
  t.is((fitOn(30, HOUR).model as Regression).spec.weekly, 24 * 7);
  t.regex(fitOn(3, HOUR).model as string, /too short/);
});

test("a gap in the history (interpolated slots) leaves the regression's forecasts finite and sane", (t) => {
  const history = series(24 * 10, HOUR, daily).filter((_, i) => i < 100 || i > 130);
  const f = createForecaster("regression");
  f.fit(history);
  for (const step of f.predict(24)) t.true(step.quantiles[MEDIAN] > 50 && step.quantiles[MEDIAN] < 150);
});
