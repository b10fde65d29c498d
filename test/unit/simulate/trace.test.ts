import test from "ava";
import { DEFAULT_TRACE_OPTIONS, Demand, prepareTrace } from "../../../automation/simulate";

const DAY = 86_400_000;
const series = (days: number, stepMin: number, f: (i: number) => number): { t: number; v: number }[] =>
  Array.from({ length: (days * 1440) / stepMin }, (_, i) => ({ t: Date.UTC(2024, 0, 1) + i * stepMin * 60_000, v: f(i) }));

test("a trace is scaled so its peak is peakInstances at 100 % CPU", (t) => {
  const trace = prepareTrace(series(8, 5, (i) => 10 + (i % 7)));
  t.is(Math.max(...trace.points.map((p) => p.v)), DEFAULT_TRACE_OPTIONS.peakInstances * DEFAULT_TRACE_OPTIONS.capacityPerInstance);
  t.is(trace.stepSec, 300);
});

const splits: [string, number, number, number][] = [
  ["a short trace: two days of history at least", 6, 2, 4],
  ["a medium trace: a quarter is history", 20, 5, 15],
  ["a long trace: the last 70 days replayed, at most 28 before", 200, 23.3, 70],
];
for (const [name, days, history, replay] of splits) {
  test(`split: ${name}`, (t) => {
    const trace = prepareTrace(series(days, 30, () => 5));
    const p = trace.points;
    const got = [(p[trace.start].t - p[0].t) / DAY, (p[p.length - 1].t - p[trace.start].t) / DAY];
    t.true(Math.abs(got[0] - history) < 0.1, `history ${got[0]}`);
    t.true(Math.abs(got[1] - replay) < 0.1, `replay ${got[1]}`);
  });
}

test("unordered, duplicate, NaN and negative points are cleaned", (t) => {
  const raw = series(3, 60, (i) => i + 1);
  const messy = [raw[5], ...raw, raw[2], { t: raw[1].t + 1, v: NaN }, { t: raw[3].t + 1, v: -4 }];
  const trace = prepareTrace(messy);
  t.is(trace.points.length, raw.length + 1);
  t.true(trace.points.every((p, i) => i === 0 || p.t > trace.points[i - 1].t));
  t.true(trace.points.every((p) => p.v >= 0));
});

test("a trace without points or load is refused", (t) => {
  t.throws(() => prepareTrace(series(1, 600, () => 1).slice(0, 3)), { message: /at least 10 points/ });
  t.throws(() => prepareTrace(series(1, 60, () => 0)), { message: /every value is 0/ });
});

test("demand is linear between points and flat outside, read forwards or backwards", (t) => {
  const d = new Demand([
    { t: 0, v: 0 },
    { t: 100, v: 10 },
    { t: 200, v: 30 },
  ]);
  t.deepEqual([d.at(-5), d.at(50), d.at(150), d.at(200), d.at(500), d.at(25), d.at(100)], [0, 5, 20, 30, 30, 2.5, 10]);
});
