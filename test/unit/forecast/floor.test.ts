import test from "ava";
import { backtestSeries } from "../../../bench/forecast/backtest";
import { FloorCandidate, crossFittedLad, describeCandidate, floorCandidates, interpolate, lookAheadFloor } from "../../../bench/forecast/floor";
import { ratios } from "../../../bench/forecast/report";
import { HOUR, gaussian, series } from "./synthetic";

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol;
const clean = (n: number): number[] => new Array<number>(n).fill(0);

test("the floor's interpolation never reads the target slot", (t) => {
  const values = Array.from({ length: 400 }, (_, i) => 10 + Math.sin(i / 7) + (i % 24 === 5 ? 8 : 0));
  const flags = clean(values.length);
  const target = 300;
  for (const c of floorCandidates([24, 168])) {
    const before = interpolate(values, flags, target, c);
    const changed = [...values];
    changed[target] = 1e9;
    t.is(interpolate(changed, flags, target, c), before, describeCandidate(c, 24));
    changed[target] = NaN;
    t.is(interpolate(changed, flags, target, c), before, describeCandidate(c, 24));
  }
});

test("mean, median and local quadratic recover what their neighbours determine; flagged neighbours are skipped", (t) => {
  const line = Array.from({ length: 50 }, (_, i) => 3 + 2 * i);
  const flags = clean(50);
  t.true(close(interpolate(line, flags, 20, { method: "mean", k: 1 }), line[20]));
  t.true(close(interpolate(line, flags, 20, { method: "median", k: 4 }), line[20]));
  const parabola = Array.from({ length: 50 }, (_, i) => 1 + 0.5 * i - 0.03 * i * i);
  t.true(close(interpolate(parabola, flags, 25, { method: "quadratic", k: 4 }), parabola[25], 1e-6));
  t.false(close(interpolate(parabola, flags, 25, { method: "mean", k: 4 }), parabola[25], 1e-3), "the mean misses the curvature");
  // A flagged neighbour (here an absurd imputed value) is not read.
  const spiked = [...line];
  spiked[21] = 1e6;
  const flagged = clean(50);
  flagged[21] = 2;
  t.true(close(interpolate(spiked, flagged, 20, { method: "mean", k: 2 }), (line[18] + line[19] + line[22]) / 3));
  // At the end of the series only the left side is there.
  t.true(close(interpolate(line, flags, 49, { method: "mean", k: 2 }), (line[47] + line[48]) / 2));
});

test("seasonal differences know a spike that recurs every period; the two-sided profile a bump, with the level of the target's neighbours", (t) => {
  const period = 24;
  const spiky = Array.from({ length: 24 * 20 }, (_, i) => 50 + (i > 100 ? 5 : 0) + (i % period === 7 ? 40 : 0));
  const flags = clean(spiky.length);
  const target = 24 * 15 + 7;
  t.is(interpolate(spiky, flags, target, { method: "median", k: 3 }), 55, "the plain median sees no spike");
  t.is(interpolate(spiky, flags, target, { method: "median", k: 3, period }), 95);
  // A bump five slots wide (phases 5–9), the target on its first slot; the target's day 10 higher.
  const bumpy = Array.from({ length: 24 * 20 }, (_, i) => 50 + (i % period >= 5 && i % period <= 9 ? 40 : 0) + (Math.floor(i / period) === 15 ? 10 : 0));
  const first = 24 * 15 + 5;
  t.is(interpolate(bumpy, flags, first, { method: "median", k: 3 }), 80, "the plain median half sees it");
  t.is(interpolate(bumpy, flags, first, { method: "median", k: 3, period, profile: true }), 100);
  // Without the lag in the data it falls back to the plain candidate.
  t.is(interpolate(spiky, flags, 10, { method: "mean", k: 1, period: 24 * 7 }), interpolate(spiky, flags, 10, { method: "mean", k: 1 }));
});

test("look-ahead floor: white noise around a level scores its own spread, a smooth series almost nothing", (t) => {
  const draw = gaussian(5);
  const noisy = Array.from({ length: 3000 }, () => 100 + draw());
  const flags = clean(noisy.length);
  const targets = Array.from({ length: 1000 }, (_, i) => 1000 + 2 * i);
  const candidates = floorCandidates();
  const floor = lookAheadFloor(noisy, flags, targets, 2, candidates);
  t.is(floor.targets, 1000);
  // E|N(0,1)| = 0.798; a wide median adds a little estimation error; scale 2 halves it.
  t.true(floor.mase > 0.37 && floor.mase < 0.45, `noise floor ${floor.mase}`);
  t.true(floor.candidateMase >= floor.mase && floor.linearMase > floor.candidateMase);
  t.true(floor.candidate !== null && floor.candidate.k >= 12, `wide window for noise: ${describeCandidate(floor.candidate, 0)}`);
  const smooth = Array.from({ length: 3000 }, (_, i) => 100 + 10 * Math.sin(i / 50));
  t.true(lookAheadFloor(smooth, flags, targets, 2, candidates).mase < 1e-3);
  const none = lookAheadFloor(noisy, flags, [], 2, candidates);
  t.true(Number.isNaN(none.mase) && none.candidate === null);
});

test("the cross-fitted LAD combination finds a column that is right, and needs enough rows", (t) => {
  const draw = gaussian(9);
  const truth = Array.from({ length: 400 }, () => draw());
  const right = truth.map((v) => 2 * v);
  const noise = truth.map(() => draw());
  const mae = crossFittedLad(right, [truth, noise]);
  t.true(mae < 0.01, `${mae}`);
  t.true(Number.isNaN(crossFittedLad(right.slice(0, 60), [truth.slice(0, 60)])));
});

test("the backtest scores the floor on the targets the models were scored on, and the report divides it by the best baseline", (t) => {
  const draw = gaussian(2);
  const step = HOUR / 12;
  const points = series(12 * 24 * 12, step, (i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * draw());
  const result = backtestSeries(
    { name: "synthetic", points },
    { kinds: ["naive", "seasonal-naive", "holt-winters"], fitDays: 6, testDays: 3, maxOrigins: 200, horizonsMinutes: [30, 60], rise: 0.2, threshold: 0.8, seed: 1, plotDays: 1 },
  );
  t.is(result.lookAheadFloor.length, 3);
  for (const f of result.lookAheadFloor) {
    const row = result.rows.find((r) => r.model === "naive" && r.horizonSteps === f.horizonSteps);
    t.is(f.targets, row?.origins ?? -1);
    // Knowing both sides, it beats persistence by far on a smooth daily curve with noise.
    t.true(f.mase < 0.8 * (row?.mase ?? 0), `floor ${f.mase} vs naive ${row?.mase}`);
  }
  const [r] = ratios([result]);
  t.true(Number.isFinite(r.floorRatio) && r.floorRatio < 1);
  t.true(close(r.floorRatio, r.floorMase / r.bestMase));
});

test("candidates: every method and window, with seasonal variants only where periods are given", (t) => {
  const plain = floorCandidates();
  const seasonal = floorCandidates([288, 2016]);
  t.true(plain.every((c: FloorCandidate) => c.period === undefined));
  t.true(seasonal.length > 3 * plain.length);
  t.true(seasonal.some((c) => c.profile === true && c.period === 288));
  t.false(seasonal.some((c) => c.profile === true && c.period === 2016));
});
