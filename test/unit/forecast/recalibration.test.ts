import test from "ava";
import { createForecaster, restoreForecaster } from "../../../automation/forecast";
import { PipelineForecaster } from "../../../automation/forecast/forecaster";
import { MAX_EVENTS, MIN_PAIRS, applyPlatt, fitPlatt, logit, sigmoid } from "../../../automation/forecast/recalibration";
import { seededRandom } from "../../../automation/forecast/random";
import { HOUR, gaussian, series } from "./synthetic";

const brier = (p: readonly number[], y: readonly number[]): number => p.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / p.length;

/** Outcomes drawn from known probabilities, and raw probabilities distorted from them by `distort`. */
function synthetic(n: number, seed: number, distort: (q: number) => number): { raw: number[]; y: number[] } {
  const random = seededRandom(seed);
  const raw: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = 0.05 + 0.9 * random();
    y.push(random() < q ? 1 : 0);
    raw.push(distort(q));
  }
  return { raw, y };
}

const cases: [string, (q: number) => number][] = [
  ["over-confident", (q) => sigmoid(3 * logit(q))],
  ["under-confident and biased high", (q) => sigmoid(0.35 * logit(q) + 0.8)],
];
for (const [name, distort] of cases) {
  test(`Platt scaling fitted on earlier outcomes lowers the Brier score of ${name} probabilities`, (t) => {
    const { raw, y } = synthetic(2000, 7, distort);
    const map = fitPlatt(raw.slice(0, 1000), y.slice(0, 1000));
    const later = raw.slice(1000);
    const outcomes = y.slice(1000);
    const before = brier(later, outcomes);
    const after = brier(
      later.map((p) => applyPlatt(map, p)),
      outcomes,
    );
    t.log(`Brier ${before.toFixed(4)} raw → ${after.toFixed(4)} recalibrated (a ${map.a.toFixed(2)}, b ${map.b.toFixed(2)})`);
    // Would fail for a map that did nothing (after = before) or one that made things worse.
    t.true(after < before - 0.01, `Brier ${after.toFixed(4)} after vs ${before.toFixed(4)} before`);
  });
}

test("Platt scaling leaves calibrated probabilities about as they are", (t) => {
  const { raw, y } = synthetic(2000, 8, (q) => q);
  const map = fitPlatt(raw, y);
  t.true(Math.abs(map.a - 1) < 0.2 && Math.abs(map.b) < 0.2, `a ${map.a}, b ${map.b}`);
});

test("the fit is deterministic and stays finite on one-sided or degenerate outcomes", (t) => {
  const { raw, y } = synthetic(500, 9, (q) => q);
  t.deepEqual(fitPlatt(raw, y), fitPlatt(raw, y));
  for (const map of [fitPlatt(raw, raw.map(() => 0)), fitPlatt([0, 0, 1, 1], [0, 1, 0, 1]), fitPlatt([], [])]) {
    t.true(Number.isFinite(map.a) && Number.isFinite(map.b), JSON.stringify(map));
  }
});

// A forecaster whose raw probability is systematically over-confident: a daily seasonal naive on white
// noise. Its forecast for the next hour is yesterday's noisy value, and the conformal probability
// treats that noise as signal (a high center means a likely rise) when tomorrow's value is in fact
// independent of it; recalibration against outcomes learns to discount it.
const LEVEL = 1000;
const SIGMA = 20;
const noise = gaussian(21);
const whiteNoise = series(24 * 60, HOUR, () => LEVEL + SIGMA * noise());
const R = 0.02;

function naive(calibrationFraction = 0.5): PipelineForecaster {
  return createForecaster("seasonal-naive", { seasonalNaive: { season: "daily" }, calibrationFraction }) as PipelineForecaster;
}

const eventOf = (f: PipelineForecaster, within: number) => f.fitted?.recalibrator.describe().find((e) => e.r === R && e.within === within);

test("on a forecaster with over-confident raw probabilities, the recalibrated ones score a lower Brier", (t) => {
  const f = naive();
  f.fit(whiteNoise.slice(0, 24 * 20));
  const raw: number[] = [];
  const recalibrated: number[] = [];
  const rose: number[] = [];
  const later = whiteNoise.slice(24 * 20);
  for (let i = 0; i + 1 < later.length; i++) {
    raw.push(f.rawProbabilityOfRise(R, 1));
    recalibrated.push(f.probabilityOfRise(R, 1));
    const current = i === 0 ? whiteNoise[24 * 20 - 1].v : later[i - 1].v;
    rose.push(later[i].v >= (1 + R) * current ? 1 : 0);
    f.update([later[i]]);
  }
  const before = brier(raw, rose);
  const after = brier(recalibrated, rose);
  t.log(`Brier ${before.toFixed(4)} raw → ${after.toFixed(4)} recalibrated over ${rose.length} origins; map ${JSON.stringify(eventOf(f, 1)?.map)}`);
  t.true(after < before - 0.005, `Brier ${after.toFixed(4)} recalibrated vs ${before.toFixed(4)} raw`);
  const map = eventOf(f, 1)?.map;
  t.truthy(map);
  t.true((map?.a ?? 1) < 1, "the map shrinks the over-confident logits");
});

test("no recalibration before enough outcomes: the raw probability until MIN_PAIRS pairs are resolved", (t) => {
  // A short held-out tail: too few remembered origins to start from.
  const f = naive(0.1);
  f.fit(whiteNoise.slice(0, 24 * 10));
  let i = 24 * 10;
  let recalibrated = false;
  for (; i < whiteNoise.length; i++) {
    const pairs = eventOf(f, 2)?.pairs ?? 0;
    const p = f.probabilityOfRise(R, 2);
    const raw = f.rawProbabilityOfRise(R, 2);
    if (pairs < MIN_PAIRS) t.is(p, raw, `with ${pairs} pairs`);
    else if (p !== raw) {
      recalibrated = true;
      break;
    }
    f.update([whiteNoise[i]]);
  }
  t.log(`first recalibrated after ${i - 24 * 10} updates`);
  t.true(recalibrated, "recalibrates once there are enough pairs");
  t.true((eventOf(f, 2)?.pairs ?? 0) >= MIN_PAIRS);
});

test("no lookahead: a pair enters only once its window has closed; pending origins are the latest ones", (t) => {
  const f = naive();
  f.fit(whiteNoise.slice(0, 24 * 20));
  const within = 3;
  f.probabilityOfRise(R, within);
  for (const p of whiteNoise.slice(24 * 20, 24 * 25)) {
    const before = eventOf(f, within)?.pairs ?? 0;
    f.update([p]);
    const after = eventOf(f, within);
    const state = (f.toJSON() as { state: { recalibrator: { events: { within: number; pending: { origin: number }[] }[] } } }).state.recalibrator.events.find((e) => e.within === within);
    const end = f.fitted?.series.end ?? 0;
    // The origins whose windows are still open, and no other, are pending: end − within … end − 1.
    t.deepEqual(
      state?.pending.map((q) => q.origin),
      [end - 3, end - 2, end - 1],
    );
    // One slot closes one origin's window: at most one new pair (the origin end − 1 − within).
    t.true((after?.pairs ?? 0) - before <= 1);
  }
});

test("an event asked late replays the remembered origins exactly as if it had been tracked all along", (t) => {
  // A calibration window large enough that no residual path is dropped: the replay can then use the
  // very paths that were complete at each origin, and only those (none completed after it).
  const options = { seasonalNaive: { season: "daily" as const }, calibrationFraction: 0.5, calibrationWindow: 5000 };
  const live = createForecaster("seasonal-naive", options) as PipelineForecaster;
  live.fit(whiteNoise.slice(0, 24 * 20));
  const late = restoreForecaster(JSON.parse(JSON.stringify(live.toJSON()))) as PipelineForecaster;
  live.probabilityOfRise(R, 4);
  for (const p of whiteNoise.slice(24 * 20, 24 * 26)) {
    live.update([p]);
    late.update([p]);
  }
  t.is(late.probabilityOfRise(R, 4), live.probabilityOfRise(R, 4));
  const events = (f: PipelineForecaster): unknown => (f.toJSON() as { state: { recalibrator: unknown } }).state.recalibrator;
  t.deepEqual(events(late), events(live));
});

test("the recalibrator survives a JSON round trip, and a version 1 forecaster still restores", (t) => {
  const f = naive();
  f.fit(whiteNoise.slice(0, 24 * 20));
  f.probabilityOfRise(R, 1);
  f.probabilityOfRise(R, 3);
  for (const p of whiteNoise.slice(24 * 20, 24 * 24)) f.update([p]);
  const json = JSON.parse(JSON.stringify(f.toJSON())) as { version: number; state: Record<string, unknown> };
  const restored = restoreForecaster(json) as PipelineForecaster;
  t.deepEqual(restored.fitted?.recalibrator.describe(), f.fitted?.recalibrator.describe());
  t.is(restored.probabilityOfRise(R, 3), f.probabilityOfRise(R, 3));
  for (const p of whiteNoise.slice(24 * 24, 24 * 26)) {
    f.update([p]);
    restored.update([p]);
    t.is(restored.probabilityOfRise(R, 1), f.probabilityOfRise(R, 1));
  }

  // Version 1 had no recalibrator: it restores with no events, which replay from the calibrator when asked.
  const v1state = { ...json.state };
  delete v1state.recalibrator;
  const old = restoreForecaster({ ...json, version: 1, state: v1state }) as PipelineForecaster;
  t.deepEqual(old.fitted?.recalibrator.describe(), []);
  const p = old.probabilityOfRise(R, 3);
  t.true(p >= 0 && p <= 1);
  t.true((eventOf(old, 3)?.pairs ?? 0) >= MIN_PAIRS);
  t.throws(() => restoreForecaster({ ...json, version: 3 }), { message: /version 3 is not supported/ });
});

test("events beyond the calibrated horizon or with a bar at zero are left raw; few events are tracked at once", (t) => {
  const f = naive();
  f.fit(whiteNoise.slice(0, 24 * 20));
  t.is(f.probabilityOfRise(R, 30), f.rawProbabilityOfRise(R, 30));
  t.is(f.probabilityOfRise(-1, 3), 1);
  for (let k = 1; k <= MAX_EVENTS + 2; k++) f.probabilityOfRise(R, k);
  const tracked = f.fitted?.recalibrator.describe() ?? [];
  t.is(tracked.length, MAX_EVENTS);
  // The ones asked least recently made room.
  t.deepEqual(
    tracked.map((e) => e.within).sort((a, b) => a - b),
    [3, 4, 5, 6],
  );
});
