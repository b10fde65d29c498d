import test from "ava";
import { createForecaster, restoreForecaster } from "../../../automation/forecast";
import { makeCalendar } from "../../../automation/forecast/calendar";
import { Lstm } from "../../../automation/forecast/models/lstm";
import { ModelFailure, periodsFor } from "../../../automation/forecast/models/model";
import { Series } from "../../../automation/forecast/series";
import { HOUR, T0, TINY_LSTM, daily, gaussian } from "./synthetic";

const config = { window: 8, hiddenSize: 6, iterations: 10, maxTrainingWindows: 60, learningRate: 0.01, dailyLagInput: true, networks: 1, horizon: 6, seed: 3 };

function seriesOf(values: number[]): Series {
  return new Series(
    T0,
    HOUR,
    0,
    values,
    values.map(() => 0),
    makeCalendar("UTC", []),
    10_000,
  );
}

test("the LSTM reads changes, not levels: after a shift far outside its training range it forecasts from the new level", (t) => {
  const noise = gaussian(4);
  const values = Array.from({ length: 24 * 12 }, (_, i) => daily(i) + 2 * noise());
  const s = seriesOf(values);
  const model = Lstm.train(s, config, periodsFor(HOUR), []);
  if (typeof model === "string") return t.fail(model);
  // Ten times the level it was trained on: a network fed scaled levels would saturate here.
  for (let i = 0; i < 30; i++) s.push(10 * daily(values.length + i), 0);
  const last = s.value(s.end - 1);
  const forecast = model.forecast(s, 6);
  for (const f of forecast) t.true(Math.abs(f - last) < 0.2 * last, `forecast ${f.toFixed(1)} vs current ${last.toFixed(1)}`);
});

test("a spike in the training targets is clipped: it cannot teach the network to forecast spikes", (t) => {
  const noise = gaussian(6);
  const values = Array.from({ length: 24 * 12 }, (_, i) => 100 + 2 * noise() + (i % 37 === 0 ? 5000 : 0));
  const s = seriesOf(values);
  const model = Lstm.train(s, config, periodsFor(HOUR), []);
  if (typeof model === "string") return t.fail(model);
  const forecast = model.forecast(s, 6);
  // Clipped at 4 typical 6-step changes (a few units here), the forecast stays near the level.
  for (const f of forecast) t.true(Math.abs(f - 100) < 40, `forecast ${f.toFixed(1)}`);
});

test("an LSTM saved in the older scaled-level format cannot forecast (refit needed); the ensemble runs without it", (t) => {
  const f = createForecaster("ensemble", { lstm: TINY_LSTM });
  f.fit(Array.from({ length: 24 * 10 }, (_, i) => ({ t: T0 + i * HOUR, v: daily(i) })));
  const json = JSON.parse(JSON.stringify(f.toJSON())) as { state: { model: { members: { kind: string; model: Record<string, unknown> }[] } } };
  const lstm = json.state.model.members.find((m) => m.kind === "lstm");
  if (!lstm) return t.fail("no lstm member");
  delete lstm.model.scale;
  Object.assign(lstm.model, { low: 70, high: 130 });
  const restored = restoreForecaster(json);
  restored.update([{ t: T0 + 24 * 10 * HOUR, v: daily(24 * 10) }]);
  t.true(restored.status().notes.some((n) => /lstm dropped this tick: lstm saved in an older format/.test(n)));
  t.is(restored.status().weights.lstm, 0);
  t.true(restored.predict(6).every((step) => step.quantiles.every(Number.isFinite)));
  const alone = Lstm.fromJSON({ ...(lstm.model as unknown as Parameters<typeof Lstm.fromJSON>[0]) });
  t.throws(() => alone.forecast(seriesOf([1, 2, 3]), 1), { instanceOf: ModelFailure });
});
