import test from "ava";
import { QUANTILES, createForecaster } from "../../../automation/forecast";
import { normalQuantile } from "../../../automation/forecast/calibration";
import { HOUR, gaussian, series } from "./synthetic";

// White noise around a constant: the true predictive quantiles are known (level + σ z_q) and rises
// have a known probability, so calibration can be checked against the truth.
const LEVEL = 1000;
const SIGMA = 20;
const noise = gaussian(11);
const points = series(24 * 50, HOUR, () => LEVEL + SIGMA * noise());
const fitted = points.slice(0, 24 * 30);
const later = points.slice(24 * 30);
// Half the history held out: 360 out-of-sample residuals put the 5 % quantile within ~0.1 σ.
const options = { holtWinters: { seasonality: "none" as const }, calibrationFraction: 0.5 };

test("quantiles on synthetic noise match the known ones, and the 80 % interval holds 80 %", (t) => {
  const f = createForecaster("holt-winters", options);
  f.fit(fitted);
  const [first] = f.predict(1);
  const median = first.quantiles[QUANTILES.indexOf(0.5)];
  t.true(Math.abs(median - LEVEL) < 0.5 * SIGMA, `median ${median}`);
  // The spread around the median is the calibration's doing (the median itself is the point forecast's).
  QUANTILES.forEach((q, j) => {
    const spread = first.quantiles[j] - median;
    t.true(Math.abs(spread - SIGMA * normalQuantile(q)) < 0.3 * SIGMA, `q${q}: ${spread.toFixed(1)} vs ${(SIGMA * normalQuantile(q)).toFixed(1)}`);
  });
  let inside = 0;
  for (const p of later) {
    const [step] = f.predict(1);
    if (p.v >= step.quantiles[1] && p.v <= step.quantiles[4]) inside++;
    f.update([p]);
  }
  const coverage = inside / later.length;
  t.true(coverage > 0.75 && coverage < 0.85, `coverage ${coverage}`);
});

test("P(rise) is calibrated on synthetic noise: forecast probabilities match observed frequencies", (t) => {
  const f = createForecaster("holt-winters", options);
  f.fit(fitted);
  let forecast = 0;
  let observed = 0;
  let count = 0;
  for (let i = 0; i < later.length - 3; i++) {
    const current = i === 0 ? fitted[fitted.length - 1].v : later[i - 1].v;
    const p = f.probabilityOfRise(0.03, 3);
    const rose = Math.max(later[i].v, later[i + 1].v, later[i + 2].v) >= 1.03 * current;
    forecast += p;
    observed += rose ? 1 : 0;
    count++;
    f.update([later[i]]);
  }
  t.true(Math.abs(forecast / count - observed / count) < 0.05, `mean P ${forecast / count} vs frequency ${observed / count}`);
  t.true(observed / count > 0.1 && observed / count < 0.9, "the event is neither rare nor certain");
});

test("P(rise) is monotone in r and in the window, and 1 when the bar is at or below zero", (t) => {
  const f = createForecaster("holt-winters", options);
  f.fit(fitted);
  t.true(f.probabilityOfRise(0.01, 3) >= f.probabilityOfRise(0.05, 3));
  t.true(f.probabilityOfRise(0.02, 6) >= f.probabilityOfRise(0.02, 2));
  t.is(f.probabilityOfRise(-1, 3), 1);
  t.true(f.probabilityOfRise(5, 3) < 0.01);
});
