import test from "ava";
import { createForecaster, restoreForecaster } from "../../../automation/forecast";
import { PipelineForecaster } from "../../../automation/forecast/forecaster";
import { Ensemble } from "../../../automation/forecast/models/ensemble";
import { Stacker } from "../../../automation/forecast/models/stacking";
import { HOUR, TINY_LSTM, daily, gaussian, series } from "./synthetic";

const config = { window: 400, minimum: 50, halfLife: 200, lambda: 0.01, refitEvery: 1 };

test("stacked weights stay unset until enough forecasts are resolved, then find the member that is right", (t) => {
  const noise = gaussian(5);
  const stacker = Stacker.start(config, 3, 1);
  const prior = (): number[] => [1 / 3, 1 / 3, 1 / 3];
  for (let i = 0; i < 300; i++) {
    const origin = 100 + 10 * noise();
    const actual = origin + 5 * noise();
    // Member 0 is persistence (no change), member 1 knows the change, member 2 guesses.
    stacker.resolve(1, [origin, actual + 0.1 * noise(), origin + 5 * noise()], origin, actual);
    stacker.tick(prior);
    if (i + 1 < config.minimum) t.is(stacker.weights(1), null, `no stacked weights after ${i + 1} forecasts`);
  }
  const w = stacker.weights(1) as number[];
  t.true(Math.abs(w[1] - 1) < 0.05 && Math.abs(w[2]) < 0.05, `weights ${w.map((x) => x.toFixed(3)).join(", ")}`);
  t.is(w[0], 1 / 3, "persistence's own column is zero: its coefficient keeps the prior (the remainder is its weight)");
});

test("least absolute deviations: 20 % gross misses of one member do not buy it weight", (t) => {
  const noise = gaussian(9);
  const stacker = Stacker.start(config, 2, 1);
  for (let i = 0; i < 400; i++) {
    const origin = 100;
    const actual = origin + 5 * noise() + (i % 5 === 0 ? 60 : 0);
    // Member 0 follows the typical change; member 1 is dragged toward every spike, as a mean would be.
    const typical = actual - (i % 5 === 0 ? 60 : 0);
    stacker.resolve(1, [typical, typical + 12], origin, actual);
    stacker.tick(() => [0.5, 0.5]);
  }
  const w = stacker.weights(1) as number[];
  t.true(w[0] > 0.9 && Math.abs(w[1]) < 0.1, `weights ${w.map((x) => x.toFixed(3)).join(", ")}`);
});

test("the ensemble switches to stacked weights once forecasts resolve, and they survive a JSON round trip", (t) => {
  const noise = gaussian(3);
  const points = series(24 * 16, HOUR, (i) => daily(i) * (1 + 0.03 * noise()));
  // Selection off: a member selected alone would carry weight 1 in both, hiding the stacked weights.
  const options = { lstm: TINY_LSTM, ensemble: { stacking: { minimum: 40, refitEvery: 1 }, selection: false as const } };
  const stacked = createForecaster("ensemble", options) as PipelineForecaster;
  const plain = createForecaster("ensemble", { ...options, ensemble: { stacking: false as const } }) as PipelineForecaster;
  stacked.fit(points.slice(0, 24 * 12));
  plain.fit(points.slice(0, 24 * 12));
  const model = stacked.fitted?.model as Ensemble;
  t.true(model.description.includes("stacked by least absolute deviations"));
  const weights = stacked.status().weights;
  t.true(Math.abs(Object.values(weights).reduce((a, b) => a + b, 0) - 1) < 1e-9, "with persistence's remainder the weights sum to 1");
  t.notDeepEqual(weights, plain.status().weights, "stacked weights differ from inverse-MSE ones");
  t.true(weights["seasonal-naive"] + weights["holt-winters"] + weights["daily-profile"] > 0.7, `the seasonal members carry the forecast: ${JSON.stringify(weights)}`);
  const restored = restoreForecaster(JSON.parse(JSON.stringify(stacked.toJSON())));
  t.deepEqual(restored.predict(12), stacked.predict(12));
  for (const p of points.slice(24 * 12)) {
    stacked.update([p]);
    restored.update([p]);
  }
  t.deepEqual(restored.predict(12), stacked.predict(12));
  t.deepEqual(restored.status(), stacked.status());
});

test("a saved ensemble from before stacking restores with inverse-MSE weights only", (t) => {
  const f = createForecaster("ensemble", { lstm: TINY_LSTM });
  f.fit(series(24 * 12, HOUR, daily));
  const json = JSON.parse(JSON.stringify(f.toJSON())) as { state: { model: Record<string, unknown> } };
  delete json.state.model.stacking;
  const restored = restoreForecaster(json);
  t.true(restored.predict(6).every((s) => s.quantiles.every(Number.isFinite)));
  t.is(Math.abs(Object.values(restored.status().weights).reduce((a, b) => a + b, 0) - 1) < 1e-9, true);
});
