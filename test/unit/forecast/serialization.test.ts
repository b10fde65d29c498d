import test from "ava";
import { ForecastInputError, ModelKind, createForecaster, restoreForecaster } from "../../../automation/forecast";
import { HOUR, TINY_LSTM, daily, gaussian, series } from "./synthetic";

const noise = gaussian(3);
const points = series(24 * 12, HOUR, (i) => daily(i) * (1 + 0.05 * noise()));
const history = points.slice(0, 24 * 10);
const later = points.slice(24 * 10);
const events = [{ name: "sale", start: "2024-01-05", end: "2024-01-05" }];

for (const kind of ["naive", "seasonal-naive", "holt-winters", "regression", "lstm", "daily-profile", "local-median", "boosted-trees", "ensemble"] as ModelKind[]) {
  test(`${kind}: a JSON round trip restores the same forecaster`, (t) => {
    const original = createForecaster(kind, { lstm: TINY_LSTM, events, timeZone: "Europe/Paris" });
    original.fit(history);
    const restored = restoreForecaster(JSON.parse(JSON.stringify(original.toJSON())));
    t.is(restored.name, kind);
    t.deepEqual(restored.predict(30), original.predict(30));
    t.is(restored.probabilityOfRise(0.1, 4), original.probabilityOfRise(0.1, 4));
    // Both move on identically afterwards.
    for (const p of later) {
      original.update([p]);
      restored.update([p]);
    }
    t.deepEqual(restored.predict(12), original.predict(12));
    t.deepEqual(restored.status(), original.status());
  });
}

test("an unfitted forecaster round-trips too", (t) => {
  const restored = restoreForecaster(JSON.parse(JSON.stringify(createForecaster("holt-winters", { seed: 5 }).toJSON())));
  t.is(restored.name, "holt-winters");
  t.throws(() => restored.predict(1), { message: /not fitted/ });
});

test("restoring something else is a clear error", (t) => {
  t.throws(() => restoreForecaster({}), { instanceOf: ForecastInputError, message: /not a saved forecaster/ });
  t.throws(() => restoreForecaster(null), { instanceOf: ForecastInputError });
  const json = createForecaster("holt-winters").toJSON() as Record<string, unknown>;
  t.throws(() => restoreForecaster({ ...json, version: 99 }), { message: /version 99/ });
});
