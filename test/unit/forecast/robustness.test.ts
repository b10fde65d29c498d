import test from "ava";
import { ForecastInputError, Forecaster, ModelKind, Point, createForecaster, parseSeriesCsv, restoreForecaster } from "../../../automation/forecast";
import { makeCalendar } from "../../../automation/forecast/calendar";
import { Lstm } from "../../../automation/forecast/models/lstm";
import { periodsFor } from "../../../automation/forecast/models/model";
import { Series } from "../../../automation/forecast/series";
import { HOUR, T0, TINY_LSTM, daily, series } from "./synthetic";

const base = series(24 * 10, HOUR, daily);
const next = { t: base[base.length - 1].t + HOUR, v: 123 };

function fitted(kind: ModelKind): Forecaster {
  const f = createForecaster(kind, { lstm: TINY_LSTM });
  f.fit(base);
  return f;
}

test("an empty series is a clear error", (t) => {
  const f = createForecaster("holt-winters");
  t.throws(() => f.fit([]), { instanceOf: ForecastInputError, message: /empty series/ });
  t.throws(() => f.fit("nope" as unknown as Point[]), { instanceOf: ForecastInputError, message: /array/ });
});

test("a series with nothing usable is a clear error", (t) => {
  const f = createForecaster("seasonal-naive");
  const bad = [{ t: T0, v: NaN }, { t: NaN, v: 3 }, { t: T0 + HOUR, v: Infinity }];
  t.throws(() => f.fit(bad), { instanceOf: ForecastInputError, message: /all 3 points rejected/ });
});

test("an unparsable CSV is a clear error naming the line", (t) => {
  t.throws(() => parseSeriesCsv(""), { instanceOf: ForecastInputError, message: /empty CSV/ });
  t.throws(() => parseSeriesCsv("time,load\n1,2"), { message: /header/ });
  t.throws(() => parseSeriesCsv("timestamp,value\n2024-01-01 00:00:00,1\nyesterday,2"), { message: /line 3: unparsable timestamp "yesterday"/ });
  const points = parseSeriesCsv("timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,oops\n");
  t.deepEqual(points[0], { t: Date.UTC(2014, 6, 1), v: 10844 });
  t.true(Number.isNaN(points[1].v));
});

test("predicting before fitting is a clear error", (t) => {
  t.throws(() => createForecaster("lstm").predict(3), { instanceOf: ForecastInputError, message: /not fitted/ });
});

test("invalid options and kinds are clear errors", (t) => {
  t.throws(() => createForecaster("holt-winters", { timeZone: "Mars/Olympus" }), { message: /unknown time zone/ });
  t.throws(() => createForecaster("holt-winters", { events: [{ name: "x", start: "2024-02-01", end: "2024-01-01" }] }), { message: /end .* before start/ });
  t.throws(() => createForecaster("lstm", { lstm: { window: 0 } }), { message: /positive integers/ });
  t.throws(() => createForecaster("prophet" as "lstm"), { message: /unknown forecaster kind/ });
});

test("NaN, negative and absurd values are rejected or clipped, and reported", (t) => {
  const dirty = base.map((p, i) => (i === 10 ? { ...p, v: NaN } : i === 20 ? { ...p, v: -5 } : i === 30 ? { ...p, v: 1e12 } : p));
  const report = createForecaster("holt-winters").fit(dirty);
  t.is(report.rejected, 2);
  t.is(report.clipped, 1);
  t.true(report.notes.some((n) => /rejected 2 point/.test(n)));
  t.true(report.notes.some((n) => /clipped 1 negative/.test(n)));
  t.is(report.resampled, 2, "the two rejected slots are interpolated");
});

test("irregular timestamps and gaps are resampled to the series' step, and said so", (t) => {
  const jittered = base.filter((_, i) => i < 100 || i > 110).map((p, i) => ({ t: p.t + (i % 3 === 0 ? 60_000 : 0), v: p.v }));
  const f = createForecaster("holt-winters");
  const report = f.fit(jittered);
  t.is(report.stepMs, HOUR);
  t.is(report.points, base.length);
  t.true(report.notes.some((n) => /resampled to a 60 min grid: \d+ slot\(s\) from off-grid or duplicate points, 11 missing slot\(s\) interpolated \(longest gap 12 steps\)/.test(n)));
  // A gap in update() is filled too; a late point is dropped.
  const last = base[base.length - 1].t;
  f.update([{ t: last - HOUR, v: 1 }, { t: last + 3 * HOUR, v: daily(base.length + 2) }]);
  const u = f.status().updates;
  t.like(u, { accepted: 1, late: 1, imputed: 2 });
  t.is(f.predict(1)[0].t, jittered[0].t + (base.length + 3) * HOUR, "the grid is anchored at the first timestamp");
});

test("history shorter than two seasons runs the models that can and says which", (t) => {
  const short = series(30, HOUR, daily);
  const report = createForecaster("ensemble", { lstm: TINY_LSTM }).fit(short);
  t.deepEqual(report.modelsUsed, ["naive", "seasonal-naive", "holt-winters", "local-median"]);
  t.true(report.notes.some((n) => /ensemble runs without regression: history of \d+ slots is too short/.test(n)));
  t.true(report.notes.some((n) => /seasonal-naive: history shorter than two days; using persistence/.test(n)));
  t.true(report.notes.some((n) => /holt-winters: daily seasonality needs two days/.test(n)));
  t.true(report.notes.some((n) => /ensemble runs without lstm: history of \d+ slots is too short/.test(n)));
  const hw = createForecaster("holt-winters").fit(series(24 * 5, HOUR, daily));
  t.true(hw.notes.some((n) => /weekly seasonality needs two weeks/.test(n)));
});

test("a tiny history still forecasts, with a Gaussian stand-in for calibration", (t) => {
  const f = createForecaster("holt-winters");
  const report = f.fit([{ t: T0, v: 10 }, { t: T0 + HOUR, v: 12 }, { t: T0 + 2 * HOUR, v: 11 }]);
  t.true(report.notes.some((n) => /calibration is thin/.test(n)));
  const [step] = f.predict(1);
  t.true(step.quantiles.every(Number.isFinite));
  t.true(step.quantiles[0] < step.quantiles[5]);
});

test("LSTM divergence at a tick: the ensemble drops it for the tick and says why; alone, persistence stands in", (t) => {
  const corrupt = (json: unknown): unknown => {
    // A weight beyond float32 range becomes Infinity inside brain.js: the network's outputs turn NaN.
    const text = JSON.stringify(json).replace(/("outputConnector":\{"rows":\d+,"columns":\d+,"weights":\[)[^,\]]+/, "$11e39");
    return JSON.parse(text) as unknown;
  };
  const ensemble = restoreForecaster(corrupt(fitted("ensemble").toJSON()));
  ensemble.update([next]);
  t.true(ensemble.status().notes.some((n) => /^lstm dropped this tick: lstm output is NaN or infinite \(diverged\)$/.test(n)));
  t.true(ensemble.predict(3).every((s) => s.quantiles.every(Number.isFinite)));
  t.is(ensemble.status().weights.lstm, 0);

  const alone = restoreForecaster(corrupt(fitted("lstm").toJSON()));
  alone.update([next]);
  t.true(alone.status().notes.some((n) => /lstm dropped this tick \(lstm output is NaN or infinite \(diverged\)\); persistence used/.test(n)));
  t.true(alone.predict(2).every((s) => s.quantiles.every(Number.isFinite)));
});

test("LSTM divergence in training (a non-finite error) leaves the model out with the reason", (t) => {
  const values = base.map((p) => p.v);
  values[50] = NaN;
  const s = new Series(base[0].t, HOUR, 0, values, values.map(() => 0), makeCalendar("UTC", []), 1000);
  const result = Lstm.train(s, { window: 8, hiddenSize: 4, iterations: 2, maxTrainingWindows: 30, learningRate: 0.01, dailyLagInput: true, networks: 1, horizon: 12, seed: 1 }, periodsFor(HOUR), []);
  t.is(result, "training diverged (error NaN)");
});

test("invalid predict and probability arguments are clear errors", (t) => {
  const f = createForecaster("seasonal-naive");
  f.fit(base);
  t.throws(() => f.predict(0), { message: /positive integer/ });
  t.throws(() => f.probabilityOfRise(0.2, 1.5), { message: /positive integer/ });
  t.throws(() => f.probabilityOfRise(NaN, 3), { message: /finite/ });
});
